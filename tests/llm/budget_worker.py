"""A worker process that spends the shared LLM budget until it is exhausted.

Run by test_budget_processes as `python -m tests.llm.budget_worker THREADS GO_FILE`
with its settings in the environment, as a service replica or a Celery worker would
have them. It prints `ready`, waits for GO_FILE (so that every process starts
spending at the same moment), then calls the model from THREADS threads until the
budget refuses, and prints its count of successful calls as JSON.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from orgair_config import Settings
from orgair_database import Database
from orgair_llm import BudgetExhausted, LLMClient, Message, SqlLedgerSink

PROMPT = (Message("user", "Summarise the evidence."),)


def main() -> None:
    threads, go_file = int(sys.argv[1]), Path(sys.argv[2])
    settings = Settings()
    database = Database.from_settings(settings)
    client = LLMClient.from_settings(settings, ledger=SqlLedgerSink(database))
    succeeded = 0
    lock = threading.Lock()

    def spend() -> None:
        nonlocal succeeded
        while True:
            try:
                client.complete(purpose="concurrency", system="", messages=PROMPT)
            except BudgetExhausted:
                return
            with lock:
                succeeded += 1

    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not go_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to start")
        time.sleep(0.005)
    workers = [threading.Thread(target=spend) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    client.close()
    database.dispose()
    print(json.dumps({"succeeded": succeeded}), flush=True)


if __name__ == "__main__":
    main()
