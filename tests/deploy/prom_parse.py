#!/usr/bin/python3
"""Parse Prometheus text exposition with the reference Python parser.

Usage: prom_parse.py [URL]   (reads the exposition from stdin without URL)

Prints one line per metric family and per sample, in a canonical form the
C++ tests match exactly:
  FAMILY <name> <type>
  SAMPLE <name> <labels as JSON object, keys sorted> <value as Python repr>
A scrape prints "CONTENT-TYPE <header>" first. Any parse error exits non-zero
with the parser's message, which is the point: the parser is the judge.
Uses Debian's python3-prometheus-client, hence /usr/bin/python3.
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) > 1:
        with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
            print("CONTENT-TYPE", response.headers.get("Content-Type"))
            text = response.read().decode("utf-8")
    else:
        text = sys.stdin.read()
    for family in text_string_to_metric_families(text):
        print("FAMILY", family.name, family.type)
        for sample in family.samples:
            labels = json.dumps(dict(sorted(sample.labels.items())), separators=(",", ":"))
            print("SAMPLE", sample.name, labels, repr(sample.value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
