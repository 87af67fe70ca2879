#!/usr/bin/env python3
"""The everyday client the vs-python row sets ia against.

It does what a script written from the provider's samples does: submit each
request with requests, one after the other, then poll the pending ids with
5 threads, a round each second, until every one is final.  It reads chat
requests, one a line, on stdin, and prints each answer's content on a line
of its own, in the order the generations finished.  Exit 0, or 1 when a
generation failed or a request was refused.
"""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

BASE_URL = os.environ["INFERENCE_BASE_URL"].rstrip("/")
HEADERS = {"Authorization": "Bearer " + os.environ["INFERENCE_API_KEY"]}
THREADS = 5
INTERVAL = 1.0
local = threading.local()


def session():
    """One keep-alive session a thread: requests.Session is not thread-safe."""
    if not hasattr(local, "session"):
        local.session = requests.Session()
        local.session.headers.update(HEADERS)
    return local.session


def get(gen_id):
    r = session().get(f"{BASE_URL}/v1/generation/{gen_id}", timeout=60)
    r.raise_for_status()
    return r.json()


def main():
    status = 0
    pending = []
    for line in sys.stdin:
        r = session().post(f"{BASE_URL}/v1/async/chat/completions",
                           data=line.encode(), timeout=60)
        if r.status_code != 200:
            print(f"refused: {r.status_code} {r.text}", file=sys.stderr)
            status = 1
            continue
        pending.append(r.json()["id"])
    with ThreadPoolExecutor(THREADS) as pool:
        while pending:
            time.sleep(INTERVAL)
            still = []
            for gen_id, gen in zip(pending, pool.map(get, pending)):
                if gen["state"] == "Success":
                    print(gen["response"]["choices"][0]["message"]["content"])
                elif gen["state"] == "Failed":
                    print(f"failed: {gen_id}: {gen.get('stateMessage')}",
                          file=sys.stderr)
                    status = 1
                else:
                    still.append(gen_id)
            pending = still
    return status


if __name__ == "__main__":
    sys.exit(main())
