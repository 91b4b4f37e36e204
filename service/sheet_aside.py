"""A large spreadsheet read aside: a child process reads its rows and builds its residents while the
importing process validates and stores them, each on its own core.

The importer starts `python -m service.sheet_aside FILE`, writes the job (mapping and medicine
names) to its stdin, and reads framed messages from its stdout: the rows read so far, residents in
batches (each with the sheets' headers, which locate their errors), then the end, or the reason the
whole file is refused. Residents come in the order they are built; at most QUEUED_FRAMES batches wait
for the importer, so a slow importer slows the reader down instead of filling memory. A child that
dies is an error of the import (with the last line it wrote to stderr), never a shorter file.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import IO

import msgspec

from service.sheet_columns import Mapping
from service.sheet_files import BadSheet, file_sheets
from service.sheets import Built, Headers, Progress, built_residents

ASIDE_MIN_BYTES = 1 << 20  # a smaller file is read in the importing process: starting one costs ~0.3 s
BATCH_RESIDENTS = 200  # residents per message
QUEUED_FRAMES = 16  # messages read ahead of the importer (~2 MB)
_LENGTH_BYTES = 4


class Job(msgspec.Struct):
    mapping: Mapping
    names: dict[str, str]


class RowsRead(msgspec.Struct, tag=True):
    rows: int


class Residents(msgspec.Struct, tag=True):
    headers: Headers
    built: list[Built]


class Refused(msgspec.Struct, tag=True):
    reason: str  # BadSheet's: the file cannot be imported at all


class Done(msgspec.Struct, tag=True):
    pass


Message = RowsRead | Residents | Refused | Done


def residents_of(
    path: Path, mapping: Mapping, names: dict[str, str], headers: Headers, progress: Progress | None = None
) -> Iterator[Built]:
    """The file's residents, built (`built_residents`): here for a small file, aside for a larger one."""
    if path.stat().st_size >= ASIDE_MIN_BYTES:
        return read_aside(path, mapping, names, headers, progress)
    return built_residents(file_sheets(path), mapping, names, headers, progress)


def read_aside(
    path: Path, mapping: Mapping, names: dict[str, str], headers: Headers, progress: Progress | None = None
) -> Iterator[Built]:
    """The residents of the file built by a second process, as `built_residents` gives them."""
    command = [sys.executable, "-m", "service.sheet_aside", str(path)]
    with (
        tempfile.TemporaryFile() as errors,  # a file, not a pipe: a chatty child can never block on it
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors) as child,
    ):
        assert child.stdin and child.stdout
        # a thread empties the pipe as it fills, so the child never waits for this process to come back for more
        frames: queue.Queue[bytes | None] = queue.Queue(QUEUED_FRAMES)
        pump = threading.Thread(target=_pump, args=(child.stdout, frames), daemon=True)
        pump.start()
        try:
            try:
                child.stdin.write(msgspec.msgpack.encode(Job(mapping, names)))
                child.stdin.close()
            except BrokenPipeError:
                pass  # the child is gone: its stderr says why, below
            decode = msgspec.msgpack.Decoder(Message).decode
            while (frame := frames.get()) is not None:
                match decode(frame):
                    case RowsRead(rows):
                        if progress:
                            progress(rows)
                    case Residents(sent, built):
                        headers.update(sent)
                        yield from built
                    case Refused(reason):
                        raise BadSheet(reason)
                    case Done():
                        return
            child.wait()
            errors.seek(0)
            lines = errors.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"the sheet reader stopped ({lines[-1] if lines else f'exit {child.wait()}'})")
        finally:
            if child.poll() is None:
                child.kill()
            while pump.is_alive():  # let the pump see the end of the pipe
                with suppress(queue.Empty):
                    frames.get(timeout=0.1)


def _pump(stream: IO[bytes], frames: queue.Queue[bytes | None]) -> None:
    try:
        while (frame := _frame(stream)) is not None:
            frames.put(frame)
    finally:
        frames.put(None)


def _frame(stream: IO[bytes]) -> bytes | None:
    """The next message, or None at the end of the pipe (a message cut short by a dying child too)."""
    length = stream.read(_LENGTH_BYTES)
    if len(length) < _LENGTH_BYTES:
        return None
    size = int.from_bytes(length, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def main() -> None:
    """The child: read the file named on the command line, send its residents."""
    job = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=Job)
    out = sys.stdout.buffer
    encode = msgspec.msgpack.Encoder().encode

    def send(message: Message) -> None:
        data = encode(message)
        out.write(len(data).to_bytes(_LENGTH_BYTES, "big") + data)
        out.flush()

    headers: Headers = {}
    batch: list[Built] = []
    try:
        for built in built_residents(
            file_sheets(Path(sys.argv[1])), job.mapping, job.names, headers, lambda rows: send(RowsRead(rows))
        ):
            batch.append(built)
            if len(batch) >= BATCH_RESIDENTS:
                send(Residents(headers, batch))
                batch = []
        send(Residents(headers, batch))
        send(Done())
    except BadSheet as e:
        send(Refused(str(e)))


if __name__ == "__main__":
    main()
