"""rootca's AWS emulator: moto's server with AWS Private CA's import and issuance rules, S3's IAM rules and a CloudHSM bound to SoftHSM added.

Run with the project venv's python:
    .venv/bin/python scripts/emulator/server.py --port 0 --port-file F --pid-file P
With --port 0 the kernel picks a free port as the socket is bound, so two emulators never race
for one; the chosen port is written to --port-file once the socket listens, which is the
readiness signal for scripts/practice-env.

CloudHSM (cloudhsm.py) binds clusters to the tokens of the SoftHSM that SOFTHSM2_CONF names in
this process's environment (or ROOTCA_EMULATOR_SOFTHSM_TOKENDIR), keeps backups under
ROOTCA_EMULATOR_STATE_DIR (default: a temporary folder removed at exit), and takes
ROOTCA_EMULATOR_CLOUDHSM_POLLS describes (default 3) per state transition.
"""

import argparse
import os
import signal
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

import cloudhsm
import pca
import s3


def write_atomically(path: str, text: str) -> None:
    # Readers poll these files: they must never see half of one.
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def remove_if_ours(path: str | None, content: str) -> None:
    try:
        if path and open(path).read().strip() == content:
            os.unlink(path)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--port-file", help="where to write the bound port once listening")
    parser.add_argument("--pid-file", help="where to write this process's id once listening")
    parser.add_argument(
        "--idle-exit",
        type=float,
        default=float(os.environ.get("ROOTCA_EMULATOR_IDLE_SECONDS", 4 * 3600)),
        help="exit after this many seconds without a request, so a forgotten emulator does "
        "not run for ever (0 = never; default 4 h or $ROOTCA_EMULATOR_IDLE_SECONDS)",
    )
    args = parser.parse_args(argv)

    pca.install()
    s3.install()
    cloudhsm.install()
    app = DomainDispatcherApplication(create_backend_app)
    last_request = [time.monotonic()]

    def tracked(environ, start_response):
        last_request[0] = time.monotonic()
        return app(environ, start_response)

    server = make_server(args.host, args.port, tracked, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # some moto services build URLs from it

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()

    pid = str(os.getpid())
    if args.pid_file:
        write_atomically(args.pid_file, pid + "\n")
    if args.port_file:
        write_atomically(args.port_file, f"{port}\n")
    print(f"rootca emulator (moto + Private CA, S3 and CloudHSM rules) listening on http://{args.host}:{port}", file=sys.stderr, flush=True)

    while not stop.wait(timeout=min(5, args.idle_exit) if args.idle_exit > 0 else 5):
        if args.idle_exit > 0 and time.monotonic() - last_request[0] > args.idle_exit:
            print(f"no request for {args.idle_exit:.0f} s; exiting", file=sys.stderr, flush=True)
            break
    server.shutdown()
    remove_if_ours(args.port_file, str(port))
    remove_if_ours(args.pid_file, pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
