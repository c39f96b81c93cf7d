"""What the ctest drivers of klpelf-inspect's tests share (tests/inspect/inspect_test.py and
relocs_test.py): checks that fail with a message, running programs, klpelf-inspect's two outputs,
and the main function that runs one mode."""
import argparse
import json
import os
import shutil
import subprocess
import sys


class Failure(Exception):
    """A check that did not hold; the message says what differed."""


def fail(message):
    raise Failure(message)


def skip(why):
    """Says why the test cannot run here; ctest reports it as skipped."""
    print(f"skipped: {why}")


def expect(what, actual, expected):
    """actual must equal expected, and be of its type (48 is not "48", 1 is not true)."""
    if type(actual) is not type(expected) or actual != expected:
        fail(f"{what}: got {actual!r}, expected {expected!r}")


def run(argv, expected_rc):
    """Runs a program; its exit status must be expected_rc (a crash never is)."""
    argv = [str(a) for a in argv]
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != expected_rc:
        fail(f"{' '.join(argv)}: exit {done.returncode}, expected {expected_rc}\n"
             f"{done.stdout}{done.stderr}")
    return done


def inspect_text(args, expected_rc, *argv):
    return run([args.inspect, *argv], expected_rc).stdout


def inspect_json(args, expected_rc, *argv):
    out = inspect_text(args, expected_rc, "--json", *argv)
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        fail(f"klpelf-inspect --json {' '.join(map(str, argv))}: not JSON ({e}):\n{out}")


def expect_in(what, text, wanted):
    for want in wanted:
        if want not in text:
            fail(f"{what} lacks {want!r}:\n{text}")


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def drive(doc, modes, options):
    """Runs the --mode named (of `modes`) with the required `options` ((flag, help) pairs); 1 and
    the failed check on stderr, or 0."""
    ap = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    ap.add_argument("--mode", required=True, choices=sorted(modes))
    for flag, text in options:
        ap.add_argument(flag, required=True, help=text)
    args = ap.parse_args()
    try:
        modes[args.mode](args)
    except Failure as e:
        print(f"inspect_{args.mode}: {e}", file=sys.stderr)
        return 1
    return 0
