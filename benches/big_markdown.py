#!/usr/bin/env python3
"""Writes the Markdown document of issue 17's "1 MB, ~14,000 steps" row: short
groups of display-math chains (expansions, derivatives, exponentials, one wrong
step in every group), each group with its own constants so no two steps are
the same text.

    python3 benches/big_markdown.py OUT.md [--bytes 1000000]

Prints the number of `=` steps written. Timing it is whole_process.py's job.
"""
import argparse


def group(k):
    """One group: prose and about nine steps, all with constants from k."""
    a, b = k % 97 + 2, k % 13 + 1
    return f"""## Group {k}

Here $x$ and $y$ are real numbers and nothing else is assumed about them;
the steps below are the kind a reader checks by hand. Expanding:

$$(x + {a})^2 = x^2 + {2 * a} x + {a * a}$$

$$(y + {b})(y - {b}) = y^2 - {b} y + {b} y - {b * b} = y^2 - {b * b}$$

Derivatives, term by term, with the power rule and the chain rule:

$$\\frac{{d}}{{dx}} \\left({a} x^3 + {b} x\\right) = {3 * a} x^2 + {b}$$

$$\\frac{{d}}{{dx}} e^{{{b} x}} = {b} e^{{{b} x}}$$

Exponentials and logs:

$$e^{{{a} x}} e^{{{b} x}} = e^{{{a + b} x}}$$

$$\\ln(e^{{{a} y}}) = {a} y$$

and a slip, as in lecture notes:

$$(x - {a})^2 = x^2 - {a * a}$$

"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--bytes", type=int, default=1_000_000)
    args = parser.parse_args()
    parts, size, steps, k = [], 0, 0, 1
    while size < args.bytes:
        text = group(k)
        parts.append(text)
        size += len(text.encode())
        steps += 8
        k += 1
    with open(args.out, "w") as f:
        f.write("# Many steps\n\n" + "".join(parts))
    print(steps)


if __name__ == "__main__":
    main()
