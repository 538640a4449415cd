"""Medians of interleaved samples and the Markdown tables the bench scripts print."""

import statistics


def median_and_spread(values):
    """The median of `values` and half their range relative to it (0.05 for +-5%)."""
    middle = statistics.median(values)
    spread = (max(values) - min(values)) / 2 / middle if middle else 0.0
    return middle, spread


def print_table(header, rows):
    """Prints `rows` (lists of strings) under `header`, first column left-aligned."""
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, len(row))]
        return "| " + " | ".join(cells) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                         for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))


def thousands(value, decimals=0):
    return f"{value:,.{decimals}f}"
