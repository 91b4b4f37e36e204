"""Schema migrations, applied in order; an applied migration is never edited, only followed."""

from sqlite_utils import Database, Migrations

migrations = Migrations("sanbiao")


def _execute_all(db: Database, script: str) -> None:
    """Run `;`-separated DDL inside the migration's transaction (executescript would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# Region scoping: every region is a prefix of the 12-digit village code (6 = county,
# 9 = township, 12 = village), so "my region" is one range scan on an indexed village_code.


@migrations()
def m001_initial(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE import_batches (
            batch_id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL CHECK (origin IN ('api', 'cli')),
            source TEXT,
            filename TEXT,
            actor TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
            received INTEGER NOT NULL DEFAULT 0,
            accepted INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            rejections TEXT,
            error TEXT
        );
        CREATE TABLE residents (
            record_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
            birth_date TEXT NOT NULL,
            village_code TEXT NOT NULL CHECK (length(village_code) = 12),
            national_id TEXT,
            phone TEXT,
            family_doctor TEXT,
            managed INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'died', 'moved_away')),
            status_changed_on TEXT,
            source TEXT,
            batch_id INTEGER REFERENCES import_batches (batch_id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX residents_village ON residents (village_code);
        CREATE INDEX residents_family_doctor ON residents (family_doctor);
        CREATE TABLE conditions (
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            code TEXT NOT NULL,
            diagnosed_on TEXT,
            PRIMARY KEY (record_id, code)
        ) WITHOUT ROWID;
        CREATE TABLE visits (
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            visit_id TEXT NOT NULL,
            date TEXT NOT NULL,
            mode TEXT NOT NULL,
            level TEXT NOT NULL,
            sbp INTEGER, dbp INTEGER, heart_rate INTEGER, temperature_c REAL,
            weight_kg REAL, height_cm REAL, waist_cm REAL,
            fasting_glucose REAL, hba1c REAL, total_cholesterol REAL,
            smoker INTEGER, adherence TEXT, medication_changed INTEGER, adverse_reaction INTEGER,
            hypoglycemia TEXT, pregnant INTEGER,
            symptoms TEXT, complications TEXT, referral TEXT,
            PRIMARY KEY (record_id, visit_id)
        ) WITHOUT ROWID;
        CREATE INDEX visits_date ON visits (date);
        CREATE TABLE events (
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            event_id TEXT NOT NULL,
            date TEXT NOT NULL,
            type TEXT NOT NULL,
            PRIMARY KEY (record_id, event_id)
        ) WITHOUT ROWID;
        CREATE TABLE job_runs (
            run_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            as_of TEXT,
            trigger TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
            summary TEXT,
            error TEXT
        );
        CREATE TABLE models (
            version TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            card TEXT NOT NULL,
            file_hash TEXT NOT NULL,
            artifact BLOB NOT NULL,
            active INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active = 1;
        CREATE TABLE assessments (
            record_id TEXT PRIMARY KEY REFERENCES residents (record_id) ON DELETE CASCADE,
            as_of TEXT NOT NULL,
            tier TEXT CHECK (tier IN ('red', 'yellow', 'green')),
            risk REAL,
            model_version TEXT,
            reasons TEXT NOT NULL,
            owner_level TEXT,
            run_id INTEGER REFERENCES job_runs (run_id),
            assessed_at TEXT NOT NULL
        );
        CREATE INDEX assessments_tier ON assessments (tier);
        CREATE TABLE tier_history (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            as_of TEXT NOT NULL,
            from_tier TEXT,
            to_tier TEXT,
            reasons TEXT NOT NULL,
            run_id INTEGER REFERENCES job_runs (run_id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX tier_history_record ON tier_history (record_id, as_of);
        CREATE INDEX tier_history_as_of ON tier_history (as_of);
        CREATE TABLE tasks (
            task_id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            tier TEXT,
            owner_level TEXT NOT NULL,
            assignee TEXT,
            village_code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
            created_on TEXT NOT NULL,
            due TEXT NOT NULL,
            remind_on TEXT,
            closed_on TEXT,
            close_reason TEXT,
            reasons TEXT,
            run_id INTEGER REFERENCES job_runs (run_id)
        );
        CREATE INDEX tasks_open_due ON tasks (status, due);
        CREATE INDEX tasks_region ON tasks (village_code, status, due);
        CREATE INDEX tasks_assignee ON tasks (assignee, status, due);
        CREATE INDEX tasks_record ON tasks (record_id, status);
        CREATE TABLE task_outcomes (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
            outcome TEXT NOT NULL,
            note TEXT,
            remind_on TEXT,
            actor TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX task_outcomes_task ON task_outcomes (task_id);
        CREATE TABLE overrides (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL REFERENCES residents (record_id) ON DELETE CASCADE,
            tier TEXT NOT NULL CHECK (tier IN ('red', 'yellow', 'green')),
            reason TEXT NOT NULL,
            author TEXT NOT NULL,
            starts_on TEXT NOT NULL,
            expires_on TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_by TEXT
        );
        CREATE INDEX overrides_record ON overrides (record_id, expires_on);
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            region TEXT NOT NULL,
            display_name TEXT,
            created_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        );
        CREATE INDEX users_region ON users (region, role);
        CREATE TABLE api_keys (
            key_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            role TEXT NOT NULL,
            region TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY,
            data BLOB NOT NULL,
            expires_at TEXT
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            record_id TEXT,
            detail TEXT
        );
        CREATE INDEX audit_log_record ON audit_log (record_id, at);
        CREATE INDEX audit_log_at ON audit_log (at);
        """,
    )


@migrations()
def m002_task_planning(db: Database) -> None:
    _execute_all(
        db,
        """
        ALTER TABLE tasks ADD COLUMN basis TEXT;
        ALTER TABLE tasks ADD COLUMN tier_rank INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE tasks ADD COLUMN risk REAL;
        CREATE INDEX tasks_open_order ON tasks (status, tier_rank, due, task_id);
        CREATE UNIQUE INDEX tasks_one_routine ON tasks (record_id)
            WHERE status = 'open'
            AND kind IN ('urgent_referral', 'specialist_review', 'recheck', 'gp_review', 'routine_followup');
        CREATE UNIQUE INDEX tasks_one_special ON tasks (record_id, kind)
            WHERE status = 'open'
            AND kind IN ('referral_outcome', 'remeasure', 'recall');
        """,
    )


@migrations()
def m003_task_region_order(db: Database) -> None:
    """Due lists walk an index in list order (red, then due date) for a village, township or county."""
    _execute_all(
        db,
        """
        ALTER TABLE tasks ADD COLUMN township TEXT GENERATED ALWAYS AS (substr(village_code, 1, 9)) VIRTUAL;
        ALTER TABLE tasks ADD COLUMN county TEXT GENERATED ALWAYS AS (substr(village_code, 1, 6)) VIRTUAL;
        CREATE INDEX tasks_village_order ON tasks (village_code, status, tier_rank, due, task_id);
        CREATE INDEX tasks_township_order ON tasks (township, status, tier_rank, due, task_id);
        CREATE INDEX tasks_county_order ON tasks (county, status, tier_rank, due, task_id);
        DROP INDEX tasks_region
        """,
    )


@migrations()
def m004_run_owner(db: Database) -> None:
    """Which process runs a job or an import, so one that was killed can be told from one still running."""
    _execute_all(
        db,
        """
        ALTER TABLE job_runs ADD COLUMN pid INTEGER;
        ALTER TABLE job_runs ADD COLUMN host TEXT;
        ALTER TABLE import_batches ADD COLUMN pid INTEGER;
        ALTER TABLE import_batches ADD COLUMN host TEXT
        """,
    )


@migrations()
def m005_running_rows(db: Database) -> None:
    """Finding runs and imports still marked running (every import checks) reads only those rows."""
    _execute_all(
        db,
        """
        CREATE INDEX job_runs_running ON job_runs (host) WHERE status = 'running';
        CREATE INDEX import_batches_running ON import_batches (host) WHERE status = 'running'
        """,
    )


@migrations()
def m006_village_indicators(db: Database) -> None:
    """The dashboard's figures by village, replaced by each nightly run (DESIGN: < 300 ms on 1M residents),
    and the names of the county's townships and villages."""
    _execute_all(
        db,
        """
        CREATE TABLE indicators_run (
            only INTEGER PRIMARY KEY CHECK (only = 1),
            run_id INTEGER NOT NULL REFERENCES job_runs (run_id),
            as_of TEXT NOT NULL,
            computed_at TEXT NOT NULL
        );
        CREATE TABLE village_indicators (
            village_code TEXT PRIMARY KEY,
            red INTEGER NOT NULL, yellow INTEGER NOT NULL, green INTEGER NOT NULL, untiered INTEGER NOT NULL,
            htn_registered INTEGER NOT NULL, htn_controlled INTEGER NOT NULL,
            dm_registered INTEGER NOT NULL, dm_controlled INTEGER NOT NULL,
            tasks_due INTEGER NOT NULL, tasks_done INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE village_overdue (
            village_code TEXT NOT NULL,
            assignee TEXT NOT NULL,
            overdue INTEGER NOT NULL,
            PRIMARY KEY (village_code, assignee)
        ) WITHOUT ROWID;
        CREATE TABLE village_transitions (
            village_code TEXT NOT NULL,
            from_tier TEXT NOT NULL,
            to_tier TEXT NOT NULL,
            code TEXT NOT NULL,
            residents INTEGER NOT NULL,
            PRIMARY KEY (village_code, from_tier, to_tier, code)
        ) WITHOUT ROWID;
        CREATE TABLE areas (
            code TEXT PRIMARY KEY CHECK (length(code) IN (6, 9, 12)),
            name TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    )


@migrations()
def m007_login_failures(db: Database) -> None:
    """Failed logins by client address, shared by every server process (the limiter was in one
    process's memory, so N workers gave an attacker N times the attempts)."""
    _execute_all(
        db,
        """
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX login_failures_address ON login_failures (address, at)
        """,
    )


@migrations()
def m008_staff(db: Database) -> None:
    """Logins as a roster: a phone, a one-time password to change at first sign-in; unassigned tasks counted fast."""
    _execute_all(
        db,
        """
        ALTER TABLE users ADD COLUMN phone TEXT;
        ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX tasks_unassigned ON tasks (village_code) WHERE status = 'open' AND assignee IS NULL
        """,
    )


@migrations()
def m009_ltfu(db: Database) -> None:
    """Residents lost to follow-up (CONTRACT §10) by village, counted by each nightly run."""
    _execute_all(db, "ALTER TABLE village_indicators ADD COLUMN ltfu INTEGER NOT NULL DEFAULT 0")


@migrations()
def m010_lookups(db: Database) -> None:
    """Residents by national id (a registration refuses one already on file); tasks in working-list
    order (tier, most overdue, highest risk) by area and by doctor, and an area's urgent referrals, so
    a working list reads a page, not the whole area."""
    _execute_all(
        db,
        """
        CREATE INDEX residents_national_id ON residents (national_id) WHERE national_id IS NOT NULL;
        """
        + ";".join(
            f"CREATE INDEX tasks_{column}_priority ON tasks ({column}, status, tier_rank, due, risk DESC, task_id)"
            for column in ("village_code", "township", "county", "assignee")
        )
        + ";"
        + ";".join(
            f"CREATE INDEX tasks_{column}_urgent ON tasks ({column}, tier_rank, due, risk DESC, task_id) "
            "WHERE status = 'open' AND kind = 'urgent_referral'"
            for column in ("village_code", "township", "county")
        ),
    )


@migrations()
def m011_uploads(db: Database) -> None:
    """Spreadsheets uploaded on the page (CONTRACT §8): import batches of origin 'ui' with the rows read
    so far (the page polls them), and the column mappings a county saves.

    SQLite cannot ALTER a CHECK constraint, and rebuilding import_batches would break the residents'
    references to it inside this transaction; widening the CHECK changes no stored row, so it is the
    edit of the stored schema text that sqlite.org/lang_altertable.html (section 7) describes."""
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    db.execute(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'import_batches'",
        ["origin IN ('api', 'cli')", "origin IN ('api', 'cli', 'ui')"],
    )
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    _execute_all(
        db,
        """
        ALTER TABLE import_batches ADD COLUMN rows_read INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE sheet_mappings (
            name TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            saved_at TEXT NOT NULL
        )
        """,
    )


@migrations()
def m012_own_urgent(db: Database) -> None:
    """A doctor's urgent referrals in list order, so their own list finds them without walking the
    urgent referrals of their whole area (a township GP's list: 1.2 ms -> 0.1 ms on a county of a million)."""
    db.execute(
        "CREATE INDEX tasks_assignee_urgent ON tasks (assignee, tier_rank, due, risk DESC, task_id) "
        "WHERE status = 'open' AND kind = 'urgent_referral'"
    )


@migrations()
def m013_outcome_ids(db: Database) -> None:
    """A call outcome may carry the id the phone made for it (CONTRACT §12: an outbox sends again until
    it hears back), unique per task, so a retry is recognised and stored once."""
    _execute_all(
        db,
        """
        ALTER TABLE task_outcomes ADD COLUMN client_id TEXT;
        CREATE UNIQUE INDEX task_outcomes_client ON task_outcomes (task_id, client_id) WHERE client_id IS NOT NULL
        """,
    )


# The figures of CONTRACT §11 kept per village and period (service.figure_table). A row holds while
# nothing it was computed from changes: these triggers delete, in the writer's own transaction, the
# rows a change can alter, so no write path can leave a stale row. A change dated D alters the periods
# that end on or after D - 30 days (a visit can complete a referral made up to 30 days before it); a
# change of a resident's village, birth date or status, every period of the village.
_FIGURES_STALE_FROM = "DELETE FROM period_figures WHERE village_code = {village} AND last_day >= {since}"
_OF_RESIDENT = "(SELECT village_code FROM residents WHERE record_id = {row}.record_id)"


def _stale_trigger(name: str, event: str, table: str, village: str, since: str, when: str = "") -> str:
    body = _FIGURES_STALE_FROM.format(village=village, since=since)
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} {when} BEGIN {body}; END"


@migrations()
def m014_period_figures(db: Database) -> None:
    """The §11 figures per village, family doctor ('' for none) and period, so a county's page for any
    period reads a few rows and a village's page its doctors', kept exact by triggers (above) and filled
    by the nightly job, a request or `sanbiao indicators rebuild`."""
    _execute_all(
        db,
        """
        CREATE TABLE period_figures (
            period TEXT NOT NULL,
            village_code TEXT NOT NULL,
            family_doctor TEXT NOT NULL,
            last_day TEXT NOT NULL,
            as_of TEXT NOT NULL,
            policy TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            htn_managed INTEGER NOT NULL, htn_standard INTEGER NOT NULL, htn_controlled INTEGER NOT NULL,
            dm_managed INTEGER NOT NULL, dm_standard INTEGER NOT NULL, dm_controlled INTEGER NOT NULL,
            hearts_htn_registered INTEGER NOT NULL, hearts_htn_controlled INTEGER NOT NULL,
            hearts_htn_missed INTEGER NOT NULL, hearts_htn_ltfu INTEGER NOT NULL,
            red INTEGER NOT NULL, yellow INTEGER NOT NULL, green INTEGER NOT NULL,
            referrals_up INTEGER NOT NULL, referrals_completed INTEGER NOT NULL,
            serious_events INTEGER NOT NULL,
            tasks_due INTEGER NOT NULL, tasks_done_on_time INTEGER NOT NULL,
            PRIMARY KEY (period, village_code, family_doctor)
        ) WITHOUT ROWID;
        CREATE INDEX period_figures_village ON period_figures (village_code, last_day);
        CREATE TABLE figure_villages (village_code TEXT PRIMARY KEY) WITHOUT ROWID;
        INSERT INTO figure_villages SELECT DISTINCT village_code FROM residents
        """,
    )
    for event in ("INSERT", "UPDATE OF village_code"):  # not OR IGNORE: an outer upsert's ABORT overrides it
        db.execute(
            f"CREATE TRIGGER residents_figure_village_{event.split()[0].lower()} AFTER {event} ON residents "
            "BEGIN INSERT INTO figure_villages SELECT NEW.village_code WHERE NOT EXISTS "
            "(SELECT 1 FROM figure_villages WHERE village_code = NEW.village_code); END"
        )
    resident = "OLD.village_code IS NOT NEW.village_code OR OLD.birth_date IS NOT NEW.birth_date"
    resident += " OR OLD.status IS NOT NEW.status OR OLD.status_changed_on IS NOT NEW.status_changed_on"
    resident += " OR OLD.family_doctor IS NOT NEW.family_doctor"
    visit = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}" for c in ("date", "mode", "level", "sbp", "dbp", "fasting_glucose", "referral")
    )
    task = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("village_code", "status", "due", "closed_on"))
    condition = "OLD.code IS NOT NEW.code OR OLD.diagnosed_on IS NOT NEW.diagnosed_on"
    everything = "''"
    dated = {  # table -> (the village of a row, the date it changes from, when an update matters)
        "visits": (_OF_RESIDENT, "date(R.date, '-30 days')", visit),
        "events": (_OF_RESIDENT, "R.date", "OLD.date IS NOT NEW.date OR OLD.type IS NOT NEW.type"),
        "tier_history": (_OF_RESIDENT, "R.as_of", "OLD.as_of IS NOT NEW.as_of OR OLD.to_tier IS NOT NEW.to_tier"),
        "conditions": (_OF_RESIDENT, f"coalesce(R.diagnosed_on, {everything})", condition),
        "tasks": ("{row}.village_code", "R.due", task),
    }
    for table, (village, since, changed) in dated.items():
        for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)), ("UPDATE", ("OLD", "NEW"))):
            when = f"FOR EACH ROW WHEN {changed}" if event == "UPDATE" else ""
            for row in rows:
                db.execute(
                    _stale_trigger(
                        f"{table}_figures_{event.lower()}_{row.lower()}",
                        event,
                        table,
                        village.format(row=row),
                        since.replace("R.", f"{row}."),
                        when,
                    )
                )
    for row in ("OLD", "NEW"):
        db.execute(
            _stale_trigger(
                f"residents_figures_{row.lower()}",
                "UPDATE",
                "residents",
                f"{row}.village_code",
                everything,
                f"FOR EACH ROW WHEN {resident}",
            )
        )
    db.execute(_stale_trigger("residents_figures_delete", "DELETE", "residents", "OLD.village_code", everything))


@migrations()
def m015_area_population(db: Database) -> None:
    """An area's population aged 35 and over (CONTRACT §11: expected patients), when the county gives it."""
    db.execute(
        "ALTER TABLE areas ADD COLUMN population_35plus INTEGER "
        "CHECK (population_35plus IS NULL OR population_35plus >= 0)"
    )


@migrations()
def m016_medications(db: Database) -> None:
    """A visit's medicines (CONTRACT §3: a JSON list of {drug, daily_dose_mg}; NULL = not recorded), and
    the §11 counts of uncontrolled residents whose treatment was not stepped up. A change of a visit's
    medicines alters those counts, so the visits' update triggers of m014 are made again watching it;
    the figures kept so far lack the new counts and are dropped (they are filled again when asked for)."""
    _execute_all(
        db,
        """
        ALTER TABLE visits ADD COLUMN medications TEXT;
        ALTER TABLE period_figures ADD COLUMN htn_uncontrolled_not_intensified INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE period_figures ADD COLUMN dm_uncontrolled_not_intensified INTEGER NOT NULL DEFAULT 0;
        DELETE FROM period_figures
        """,
    )
    watched = ("date", "mode", "level", "sbp", "dbp", "fasting_glucose", "referral", "medications")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
    for row in ("OLD", "NEW"):
        name = f"visits_figures_update_{row.lower()}"
        db.execute(f"DROP TRIGGER {name}")
        since = f"date({row}.date, '-30 days')"
        db.execute(
            _stale_trigger(
                name, "UPDATE", "visits", _OF_RESIDENT.format(row=row), since, f"FOR EACH ROW WHEN {changed}"
            )
        )


VISIT_FIGURE_COLUMNS = (  # every visit column the §11 figures read (service/store/period_facts.py; tested)
    "date",
    "mode",
    "level",
    "sbp",
    "dbp",
    "fasting_glucose",
    "referral",
    "medications",
    "medication_changed",
)


@migrations()
def m017_figure_triggers(db: Database) -> None:
    """Two holes in the figure table's triggers (review): a visit's `medication_changed` flag alone
    changes "not intensified" but was not watched; and a resident's change (of family doctor, say)
    left the rows of a village their tasks still name (a task keeps the village it was made in) when
    they had moved. The triggers are made again, the rows kept so far dropped (filled again when asked
    for), and the villages that only tasks name are listed too."""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in VISIT_FIGURE_COLUMNS)
    for row in ("OLD", "NEW"):
        name = f"visits_figures_update_{row.lower()}"
        db.execute(f"DROP TRIGGER {name}")
        since = f"date({row}.date, '-30 days')"
        when = f"FOR EACH ROW WHEN {changed}"
        db.execute(_stale_trigger(name, "UPDATE", "visits", _OF_RESIDENT.format(row=row), since, when))
    resident = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}"
        for c in ("village_code", "birth_date", "status", "status_changed_on", "family_doctor")
    )
    for row in ("OLD", "NEW"):
        db.execute(f"DROP TRIGGER residents_figures_{row.lower()}")
        db.execute(
            f"CREATE TRIGGER residents_figures_{row.lower()} AFTER UPDATE ON residents FOR EACH ROW WHEN {resident} "
            f"BEGIN DELETE FROM period_figures WHERE village_code = {row}.village_code "
            f"OR village_code IN (SELECT village_code FROM tasks WHERE record_id = {row}.record_id); END"
        )
    _execute_all(
        db,
        """
        DELETE FROM period_figures;
        INSERT INTO figure_villages SELECT DISTINCT village_code FROM tasks
        WHERE village_code NOT IN (SELECT village_code FROM figure_villages)
        """,
    )
