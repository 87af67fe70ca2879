#!/usr/bin/env python3
"""Async inference sample client, written like the provider's Python samples.

Submits 10 single chat requests and one group of 10, polls until all 20
generations are final, and prints one tab-separated line per generation:
custom_id, state, content, prompt_tokens, completion_tokens, total_tokens, seconds.
Only the base URL differs between the real API and ia-mock.
"""
import os
import sys
import time
from datetime import datetime

import requests

BASE_URL = os.environ.get("INFERENCE_BASE_URL", "https://api.inference.net").rstrip("/")
API_KEY = os.environ.get("INFERENCE_API_KEY")
POLL_INTERVAL = float(os.environ.get("POLL_INTERVAL", "2.0"))
POLL_TIMEOUT = float(os.environ.get("POLL_TIMEOUT", "120"))
MODEL = "meta-llama/llama-3.2-1b-instruct/fp-8"
FINAL_STATES = ("Success", "Failed")


def make_request(i, prefix):
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be concise."},
            {"role": "user", "content": f"What is {i} plus {i}?"},
        ],
        "max_tokens": 100,
        "metadata": {"custom_id": f"{prefix}-{i}"},
    }


def parse_time(s):
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s)


def format_line(gen):
    state = gen.get("state", "")
    custom_id = ((gen.get("request") or {}).get("metadata") or {}).get("custom_id", "")
    response = gen.get("response") or {}
    if state == "Success":
        content = response["choices"][0]["message"].get("content") or ""
    else:
        content = gen.get("stateMessage") or ""
    for ch in "\t\r\n":
        content = content.replace(ch, " ")
    usage = response.get("usage") or {}
    tokens = [str(usage.get(k, "")) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    seconds = ""
    if gen.get("dispatchedAt") and gen.get("finishedAt"):
        delta = parse_time(gen["finishedAt"]) - parse_time(gen["dispatchedAt"])
        seconds = "%.3f" % delta.total_seconds()
    return "\t".join([custom_id, state, content] + tokens + [seconds])


def main():
    if not API_KEY:
        print("error: INFERENCE_API_KEY is not set", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    # Part 1: ten single requests.
    single_ids = []
    for i in range(10):
        resp = requests.post(f"{BASE_URL}/v1/async/chat/completions",
                             headers=headers, json=make_request(i, "single"))
        resp.raise_for_status()
        single_ids.append(resp.json()["id"])
    print(f"submitted {len(single_ids)} single requests", file=sys.stderr)

    # Part 2: one group of ten requests.
    body = {"requests": [make_request(i, "group") for i in range(10)]}
    resp = requests.post(f"{BASE_URL}/v1/async/group/chat/completions", headers=headers, json=body)
    resp.raise_for_status()
    group = resp.json()
    group_id, group_size = group["groupId"], group["groupSize"]
    assert group_size == 10, f"groupSize is {group_size}, expected 10"
    print(f"submitted group {group_id} of {group_size} requests", file=sys.stderr)

    finished = {}  # generation id (or custom_id) -> generation
    pending = list(single_ids)
    group_done = False
    deadline = time.monotonic() + POLL_TIMEOUT

    while True:
        for gen_id in list(pending):
            resp = requests.get(f"{BASE_URL}/v1/generation/{gen_id}", headers=headers)
            if resp.status_code == 404 or resp.status_code >= 500:
                continue  # not visible yet, or transient: try again later
            resp.raise_for_status()
            gen = resp.json()
            if gen.get("state") in FINAL_STATES:
                finished[gen_id] = gen
                pending.remove(gen_id)
                print(format_line(gen), flush=True)

        if not group_done:
            resp = requests.get(f"{BASE_URL}/v1/async/group/{group_id}/generations", headers=headers)
            if resp.status_code != 404 and resp.status_code < 500:
                resp.raise_for_status()
                gens = resp.json()["generations"]
                if len(gens) == group_size and all(g.get("state") in FINAL_STATES for g in gens):
                    group_done = True
                    for n, gen in enumerate(gens):
                        finished[gen.get("id") or f"{group_id}#{n}"] = gen
                        print(format_line(gen), flush=True)

        if not pending and group_done:
            break
        if time.monotonic() >= deadline:
            print(f"error: timed out after {POLL_TIMEOUT:g}s: {len(pending)} single "
                  f"generation(s) pending, group complete: {group_done}", file=sys.stderr)
            break
        time.sleep(POLL_INTERVAL)

    success = sum(1 for g in finished.values() if g.get("state") == "Success")
    failed = sum(1 for g in finished.values() if g.get("state") == "Failed")
    print(f"done: {success} success, {failed} failed")
    return 0 if len(finished) == len(single_ids) + group_size else 1


if __name__ == "__main__":
    sys.exit(main())
