"""A file command over its whole batch: expand the inputs, plan and check every output before
anything is paid, then run N at a time through ``workflows.batch`` with progress, a result and
credits line per file, a summary, resume from the ledger, and the exit code of the batch."""
from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ttsai_plugin.cli import outputs as out_mod
from ttsai_plugin.cli.display import Console, credits_line, error_json, exit_code, result_lines
from ttsai_plugin.cli.estimates import estimate_each
from ttsai_plugin.cli.inputs import InputFile, StdinFile
from ttsai_plugin.cli.overwrite import overwrite_policy
from ttsai_plugin.cli.progress import BatchProgress, clock
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import Context
from ttsai_plugin.workflows.batch import (CANCELLED, FAILED, SKIPPED, BatchItem, BatchLedger,
                                          Finished, ItemResult, item_key, run_batch)


@dataclass
class Job:
    """What one command does to one input: ``prepare`` turns the input into what ``run``
    takes (a Clip, or text), ``run`` calls the workflow, ``deliver`` puts results in place."""

    name: str
    naming: out_mod.Naming
    prepare: Callable[[InputFile], Any]
    run: Callable[[Context, Any], Any]
    deliver: Callable[[Any, Any, out_mod.Outputs, Path], list[tuple[str, float | None]]]
    options: dict[str, Any] = field(default_factory=dict)
    estimate: Callable[[Context, Any], Any] | None = None
    describe: Callable[[Any], tuple[dict[str, Any], list[str]]] | None = None
    precheck: Callable[[Any, out_mod.Outputs], None] | None = None
    batch_lines: bool = False  # describe's lines are the result: shown in batches too
    also_writes: Callable[[InputFile], list[Path]] | None = None  # e.g. a dub's --stems-out


def make_client(args: argparse.Namespace):
    from ttsai_plugin.clients import make_client as make
    return make(api_key=args.api_key, base_url=args.base_url, plan=args.plan)


def local_notice(client: Any, console: Console) -> None:
    """Say once, on stderr, that no key is configured and the local engine answers."""
    if getattr(client, "is_local", False):
        from ttsai_plugin.clients import LOCAL_NOTICE
        console.note(f"ttsai: {LOCAL_NOTICE}.")


@contextlib.contextmanager
def session(client: Any, args: argparse.Namespace, token: Any, near: Path,
            progress: Callable[[float, str], None]) -> Iterator[Context]:
    """A Context whose results go to a hidden folder beside the output, removed afterwards."""
    from ttsai_plugin.cache import ResultCache
    staging = near.parent / f".ttsai-{uuid.uuid4().hex[:10]}"
    try:
        with out_mod.user_paths(staging, near):
            staging.mkdir(parents=True)
            (staging / OWNER).write_text(str(os.getpid()))
            yield Context(client, staging, None if args.no_cache else ResultCache(), progress,
                          token)
    finally:
        import shutil
        shutil.rmtree(staging, ignore_errors=True)


def missing_folders(plans: list[out_mod.Outputs]) -> list[Path]:
    """The folders the outputs need that do not exist yet, deepest first."""
    missing: set[Path] = set()
    for plan in plans:
        for path in plan.paths + plan.side:
            for folder in path.parents:
                if folder.exists():
                    break
                missing.add(folder)
    return sorted(missing, key=lambda d: len(d.parts), reverse=True)


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders a batch made that hold nothing (its files failed or were
    cancelled), deepest first; one that holds a result stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            continue


OWNER = ".owner-pid"


def sweep_stale(folders: set[Path]) -> None:
    """Remove work folders a killed `ttsai` left behind (their owner process is gone)."""
    import shutil
    for folder in folders:
        for d in folder.glob(".ttsai-*"):
            try:
                pid = int((d / OWNER).read_text())
            except (OSError, ValueError):
                continue  # not ours to judge: no owner recorded
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(d, ignore_errors=True)
            except OSError:
                pass


def run_job(args: argparse.Namespace, token: Any, job: Job, inputs: list[InputFile],
            console: Console) -> int:
    """Plan, check, and run ``job`` over ``inputs``; the batch's exit code."""
    stdin = StdinFile() if inputs and inputs[0].stdin and inputs[0].text is None else None
    try:
        if stdin is not None:
            inputs[0].path = stdin.read()
        if job.naming.allowed:
            inputs = out_mod.drop_earlier_results(args, job.naming, inputs,
                                                  BatchLedger().made(), console.note)
        plans = out_mod.plan(args, job.naming, inputs) if job.naming.allowed else \
            [out_mod.Outputs([]) for _ in inputs]
        if job.also_writes is not None:
            for src, p in zip(inputs, plans):
                p.side += job.also_writes(src)
            out_mod.check_targets(inputs, plans)
        console.data_on_stdout = any(p.to_stdout for p in plans)
        return _run(args, token, job, inputs, plans, console)
    finally:
        if stdin is not None:
            stdin.close()


def _run(args, token, job: Job, inputs: list[InputFile], plans: list[out_mod.Outputs],
         console: Console) -> int:
    ledger = BatchLedger()
    picked = _range_key(args)
    items = [BatchItem(i, src.label, item_key(job.name, {**job.options, **_text_key(src),
                                                         **picked},
                                              [] if src.stdin else [src.path], plan.paths)
                       if plan.paths else "", (src, plan))
             for i, (src, plan) in enumerate(zip(inputs, plans), start=1)]
    client = make_client(args)
    try:
        if getattr(args, "estimate", False):
            return _estimate(args, job, client, items, console)
        skipped = overwrite_policy(args, items, ledger, token)
        sweep_stale({p.parent for plan in plans for p in plan.paths[:1]})
        local_notice(client, console)
        limit = max(1, int(client.plan.concurrent))
        jobs = limit if args.jobs is None else args.jobs
        if jobs < 1:
            raise InputError("-j needs 1 or more.", hint=f"Your plan allows up to {limit} at once.")
        if jobs > limit:
            console.note(f"ttsai: -j {jobs} is more than the {client.plan.name} plan's {limit} "
                         f"requests at once; running {limit}.")
            jobs = limit
        if jobs < limit:
            from dataclasses import replace

            from ttsai_plugin.api.limiter import RateLimiter
            client.limiter = RateLimiter(replace(client.plan, concurrent=jobs))
        progress = BatchProgress(len(items), label=job.name, enabled=not console.quiet
                                 and not console.as_json, verbose=console.verbose)
        console.bar = progress
        multi = len(items) > 1

        def work(item: BatchItem, report: Callable[[float, str], None], cancel: Any) -> Finished:
            src, plan = item.payload
            thing = job.prepare(src)
            if job.precheck:
                job.precheck(thing, plan)
            near = plan.paths[0] if plan.paths else Path.cwd() / "x"
            with session(client, args, cancel, near, report) as ctx:
                result = job.run(ctx, thing)
                written = job.deliver(result, thing, plan, ctx.out_dir)
            return Finished((result, written), [Path(p) for p, _ in written if not plan.to_stdout],
                            credits=float(getattr(result, "credits_used", 0.0) or 0.0),
                            cached=bool(getattr(result, "cached", False)))

        def finished(r: ItemResult) -> None:
            progress.finished(r)
            if r.status == FAILED and _pipe_closed(r.error):
                return
            if r.status == FAILED:
                console.error(r.error, about=r.item.label if multi else None)
            elif r.status == SKIPPED:
                made = r.item.payload[1].paths
                console.note(f"Skipped {r.item.label}: {r.reason}"
                             + (f" ({made[0]})." if made and r.reason == "already done" else "."))
            elif r.finished is not None:
                result, written = r.finished.value
                lines = result_lines(result, written)
                said = job.describe(result)[1] if job.describe is not None else []
                if said and not multi:
                    lines = said + lines
                elif said and job.batch_lines:
                    lines = [f"{r.item.label}: " + "; ".join(said)] + lines
                here = [p for p, _ in written[1:] if not Path(p).is_absolute()]
                if r.item.payload[1].to_stdout and here:
                    lines.append(f"Note: the result went to stdout; {', '.join(here)} went to "
                                 f"the current folder ({Path.cwd()}).")
                if not r.finished.cached:
                    lines.append(credits_line(r.finished.credits, r.finished.remaining,
                                              local=getattr(client, "is_local", False)))
                console.result(lines)

        events = _Events(progress, finished, token)
        made = missing_folders(plans)
        try:
            # twice as many files in hand as requests in flight: while `jobs` requests run
            # (the limiter holds the rest), the next files are already extracted and encoded
            report = run_batch(items, work, jobs=2 * jobs, cancel=token, events=events,
                               ledger=None if any(p.to_stdout for p in plans) else ledger,
                               skip=lambda item: skipped.get(item.index))
        finally:
            progress.close()
            console.bar = None
            remove_empty(made)
        if events.reader_gone is not None:
            raise events.reader_gone  # stopped like Ctrl-C, ends as the quiet 141
        if report.cancelled:
            return 130
        closed = next((r.error for r in report.failed if _pipe_closed(r.error)), None)
        if closed is not None:
            raise closed  # the reader went away: the CLI's quiet 141, not a failed file
        return _finish(args, job, report, client, console, multi)
    finally:
        client.close()


def _pipe_closed(error: BaseException | None) -> bool:
    """The reader of ``-o -`` went away (``| head``, ``| true``) while the result was written."""
    return isinstance(error, BrokenPipeError) or (isinstance(error, OSError)
                                                  and error.errno == errno.EPIPE)


def _range_key(args) -> dict[str, Any]:
    """The part of each input used (--start/--end/--stream): another range is another item."""
    defaults = {"start": 0.0, "end": None, "stream": 0}  # keys of earlier runs stay valid
    return {k: getattr(args, k) for k, d in defaults.items() if getattr(args, k, d) != d}


def _text_key(src: InputFile) -> dict[str, str]:
    return {"text": hashlib.sha256(src.text.encode()).hexdigest()} if src.text else {}


class _Events:
    """The batch's events to the display; silent once cancelled (Ctrl-C says it in one line).
    When the reader of stdout goes away (``| head -1``) the batch stops as on Ctrl-C: it went
    on processing (and paying for) every remaining file for no one to see."""

    def __init__(self, progress: BatchProgress, finished: Callable[[ItemResult], None],
                 token: Any) -> None:
        self._progress, self._finished, self._token = progress, finished, token
        self.started = progress.started
        self.reader_gone: OSError | None = None

    def progress(self, item: BatchItem, fraction: float, message: str) -> None:
        if not self._token.cancelled:
            self._progress.progress(item, fraction, message)

    def finished(self, result: ItemResult) -> None:
        if self._token.cancelled:
            return
        try:
            self._finished(result)
        except OSError as e:
            if not _pipe_closed(e):
                raise
            self.reader_gone = e
            self._token.cancel()


def _finish(args, job: Job, report, client: Any, console: Console, multi: bool) -> int:
    """The batch's summary (stderr), its JSON, and its exit code."""
    if console.as_json:
        objs = [_item_json(job, r) for r in report.results]
        if multi:
            console.emit_json({"command": job.name, "items": objs, "summary": _summary(report)})
        else:
            console.emit_json(objs[0] if "error" not in objs[0] else {"error": objs[0]["error"]})
    if multi:
        console.note(_summary_line(report, client))
        failed = report.failed
        if failed:
            console.note("Failed: " + ", ".join(r.item.label for r in failed))
        return 1 if failed else 0
    only = report.results[0]
    return exit_code(only.error) if only.status == FAILED else 0


def _summary(report) -> dict[str, Any]:
    return {"total": len(report.results), "done": report.count("done", "cached"),
            "cached": report.count("cached"), "skipped": report.count(SKIPPED),
            "failed": report.count(FAILED), "cancelled": report.count(CANCELLED),
            "credits_used": report.credits, "seconds": round(report.seconds, 3)}


def _summary_line(report, client: Any) -> str:
    s = _summary(report)
    parts = [f"{s['done']} of {s['total']} files done"
             + (f" ({s['cached']} from the cache)" if s["cached"] else "")]
    if s["skipped"]:
        parts.append(f"{s['skipped']} skipped")
    if s["failed"]:
        parts.append(f"{s['failed']} failed")
    left = _balance_after(report, client)
    money = f"{s['credits_used']:,.6g} credits used" + (f", {left:,.6g} left" if left is not None
                                                         else "")
    if getattr(client, "is_local", False):
        money = f"{s['credits_used']:,.6g} credits on TTS.ai, free here"
    return f"Batch: {', '.join(parts)} · {money} · {clock(report.seconds)}"


def _balance_after(report, client: Any) -> float | None:
    """The balance after the batch: the lowest any file's answers reported (files finish out
    of order, so the client's last-heard figure may be an earlier one), else the client's."""
    seen = [r.finished.remaining for r in report.results
            if r.finished is not None and r.finished.remaining is not None]
    return min(seen) if seen else getattr(getattr(client, "credits", None), "remaining", None)


def _item_json(job: Job, r: ItemResult) -> dict[str, Any]:
    data: dict[str, Any] = {"input": r.item.label, "status": r.status}
    if r.error is not None:
        data["error"] = error_json(r.error, about=r.item.label)
    if r.reason:
        data["reason"] = r.reason
    if r.finished is not None:
        result, written = r.finished.value
        data.update({"command": job.name,
                     "outputs": [{"path": p, "duration": d} for p, d in written],
                     "credits_used": r.finished.credits,
                     "credits_remaining": r.finished.remaining, "mock": getattr(result, "mock", None),
                     "notes": getattr(result, "notes", []), "cached": r.finished.cached})
        if job.describe is not None:
            data.update(job.describe(result)[0])
    return data


def _estimate(args, job: Job, client: Any, items: list[BatchItem], console: Console) -> int:
    """Credits for every input and the batch's total; nothing is processed or paid."""
    if job.estimate is None:
        raise InputError(f"`ttsai {job.name}` has nothing to estimate.")
    ctx = Context(client, Path.cwd())
    return estimate_each(console, job.name, [item.payload[0] for item in items],
                         lambda src: job.estimate(ctx, job.prepare(src)))
