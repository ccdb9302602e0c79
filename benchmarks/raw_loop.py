"""Baseline extractor for the benchmarks: a plain loop over one Workflow Report API report.

It does the least work a tap must do, with requests and the standard json module and
nothing else: request every page, decode each Detail Report prompt value from its JSON
string into {"text", "media"}, and write one Singer RECORD line per row to stdout.
There is no schema, state, validation, retry or per-line flush, so its CPU time is
the floor that `run.py` compares the tap against.

When done it writes `records=N requests=N` to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

import requests

DETAIL_FIXED_COLUMNS = frozenset(
    (
        "SessionId",
        "MobileNumber",
        "SessionDateTime",
        "WorkflowStatus",
        "Name",
        "Email",
        "Custom1",
        "Custom2",
        "Custom3",
        "Custom4",
        "DOB",
    )
)
READ_TIMEOUT_SECONDS = 60


def decode_detail_row(row: dict) -> dict:
    """Return a Detail Report row with each prompt value decoded, and "" (unanswered) as None."""
    record = {}
    for column, value in row.items():
        if column in DETAIL_FIXED_COLUMNS:
            record[column] = value
        elif value == "":
            record[column] = None
        else:
            answer = json.loads(value)
            record[column] = {"text": answer["Text"], "media": answer["Media"]}
    return record


def main() -> None:
    """Extract one campaign's report and write it as Singer RECORD lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True, help="API base URL, such as http://127.0.0.1:8080/api/v2")
    parser.add_argument("--api-key", default="sandbox-key", help="value of the apikey header")
    parser.add_argument("--campaign-id", type=int, required=True, help="workflow campaign to extract")
    parser.add_argument("--report", choices=("detail", "participation"), default="detail", help="report to read")
    parser.add_argument("--page-size", type=int, default=1000, help="rows per request (pageSize)")
    arguments = parser.parse_args()

    if arguments.report == "detail":
        endpoint, rows_key, total_key = "DetailReport", "Items", "TotalCount"
        stream = f"detail_{arguments.campaign_id}"
        extra_params = {}
    else:
        endpoint, rows_key, total_key = "ResponseReport", "WorkflowResponseReportDataList", "TotalFilteredCount"
        stream = "participation"
        extra_params = {"status": "all"}

    url = f"{arguments.api_url.rstrip('/')}/workflow/{arguments.campaign_id}/{endpoint}"
    session = requests.Session()
    session.headers["apikey"] = arguments.api_key
    write = sys.stdout.write
    page = 1
    received = 0
    requests_sent = 0
    while True:
        params = {"page": page, "pageSize": arguments.page_size, **extra_params}
        response = session.get(url, params=params, timeout=(10, READ_TIMEOUT_SECONDS))
        requests_sent += 1
        response.raise_for_status()
        body = json.loads(response.content)
        rows = body[rows_key]
        for row in rows:
            if arguments.report == "detail":
                record = decode_detail_row(row)
            else:
                record = {"campaign_id": arguments.campaign_id, **row}
            message = {"type": "RECORD", "stream": stream, "record": record}
            write(json.dumps(message, separators=(",", ":")))
            write("\n")

        received += len(rows)
        if not rows or received >= body[total_key]:
            break
        page += 1

    sys.stdout.flush()
    print(f"records={received} requests={requests_sent}", file=sys.stderr)


if __name__ == "__main__":
    main()
