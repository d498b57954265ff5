"""What every cross-check shares: the driver binary from the command line, a scratch
directory, one line per check, and the exit status (1 when any check failed)."""
import sys
import tempfile

binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="segflow-crosscheck-")
results = []


def report(ok, text):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {text}", flush=True)


def finish():
    failed = results.count(False)
    print(f"crosscheck: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
