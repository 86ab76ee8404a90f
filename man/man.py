#!/usr/bin/env python3
"""man.py SCDOC VERSION INPUT OUTPUT - render one scdoc(5) page.

The sources name only the page, "smpolicy(1)"; the version in the footer
comes from the build (meson's project version), so that no page can carry
an old one.
"""
import re
import subprocess
import sys

scdoc, version, src, out = sys.argv[1:5]
with open(src, encoding="utf-8") as f:
    text = f.read()
first, _, rest = text.partition("\n")
if not re.fullmatch(r"[a-z_.-]+\([1-8]\)", first):
    sys.exit(f"{src}:1: the first line must be NAME(SECTION) alone, not {first!r}")
text = f'{first} "libsmpolicy {version}" "libsmpolicy manual"\n{rest}'
with open(out, "wb") as f:
    r = subprocess.run([scdoc], input=text.encode("utf-8"), stdout=f)
sys.exit(r.returncode)
