"""The card's visit form through the real app (TestClient, htmx requests): every field of a BPHS
follow-up it offers reaches the record and the rules, and bad values come back beside their field."""

from __future__ import annotations

import re

import pytest
from conftest import card_visit, doctor_of, make_resident, make_visit


@pytest.fixture
def doctor(client, db, settings):
    """Logged in as the village doctor of a diabetic woman of 40 with one controlled visit."""
    born = settings.today().replace(year=settings.today().year - 40).isoformat()
    woman = make_resident(
        "W40",
        birth_date=born,
        conditions=[{"code": "E11", "diagnosed_on": "2015-06-01"}],
        visits=[make_visit(sbp=124, dbp=76, fasting_glucose=6.1)],
        events=[],
    )
    return doctor_of(client, db, woman)


def post_visit(client, **fields):
    return card_visit(client, "W40", **{"sbp": "128", "dbp": "78", **fields})


def test_the_form_offers_every_danger_sign_temperature_hypoglycaemia_and_pregnancy(doctor):
    form = doctor.get("/residents/W40").text

    assert len(re.findall(r'name="symptoms" value="', form)) == 19  # CONTRACT §3's whole list
    assert re.search(r'name="date" type="date"[^>]*value="\d{4}-\d\d-\d\d"', form)  # today, as most visits are
    for name in ("temperature_c", "hypoglycemia", "pregnant", "medication_changed", "referral", "adherence"):
        assert f'name="{name}"' in form, name


def test_signs_entered_on_the_form_reach_the_record_and_the_rules(doctor, db):
    response = post_visit(
        doctor, temperature_c="39.5", hypoglycemia="severe", symptoms=["chest_pain", "kussmaul_breathing"]
    )

    assert response.status_code == 200
    stored = db.execute(
        "SELECT temperature_c, hypoglycemia, symptoms FROM visits WHERE record_id = 'W40' ORDER BY date DESC LIMIT 1"
    ).fetchone()
    assert stored == (39.5, "severe", '["chest_pain","kussmaul_breathing"]')
    status = response.text
    assert "红标" in status
    assert "低血糖：" in status and "发生严重低血糖" in status
    assert "胸痛、深大呼吸" in status and "体温 39.5 °C（&gt;39.0）" in status


def test_pregnancy_ticked_on_the_form_makes_her_red(doctor, db):
    status = post_visit(doctor, pregnant="on").text

    assert "妊娠合并高血压或糖尿病：" in status
    assert db.execute("SELECT pregnant FROM visits WHERE record_id = 'W40' ORDER BY date DESC LIMIT 1").fetchone() == (
        1,
    )


def test_a_temperature_out_of_range_is_shown_beside_its_field_and_nothing_is_stored(doctor, db):
    before = db.execute("SELECT count(*) FROM visits").fetchone()

    response = post_visit(doctor, temperature_c="50", symptoms=["dizziness"])

    assert response.status_code == 422
    label = re.search(r'<label class="invalid">[^<]*<input name="temperature_c".*?</label>', response.text, re.S)
    assert label and 'role="alert"' in label.group(0)
    assert 'value="dizziness" checked' in response.text  # what was ticked stays ticked
    assert db.execute("SELECT count(*) FROM visits").fetchone() == before
    assert "不能大于 45.0" in label.group(0)  # the API's "Expected `float` <= 45.0", worded on a Chinese page


@pytest.mark.parametrize("mode", ["clinic", "home", "phone"])
def test_the_visit_mode_chosen_on_the_form_is_stored(doctor, db, mode):
    form = doctor.get("/residents/W40").text
    assert re.search(r'<option value="clinic" selected>', form)  # a clinic visit unless the doctor says otherwise

    assert post_visit(doctor, mode=mode).status_code == 200

    stored = db.execute("SELECT mode FROM visits WHERE record_id = 'W40' AND sbp = 128")
    assert stored.fetchone() == (mode,)


def test_an_unknown_visit_mode_is_refused_beside_its_field_in_the_page_language(doctor, db):
    before = db.execute("SELECT count(*) FROM visits").fetchone()
    for lang, text in (("zh-CN", "不是可选的值：fax"), ("en", "not one of the choices: fax")):
        doctor.get("/residents/W40", params={"lang": lang})
        response = post_visit(doctor, mode="fax")
        assert response.status_code == 422
        label = re.search(r'<label class="invalid">[^<]*<select name="mode">.*?</label>', response.text, re.S)
        assert label and text in label.group(0)
    assert db.execute("SELECT count(*) FROM visits").fetchone() == before
