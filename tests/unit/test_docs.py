"""References into docs/algorithm.md resolve: every "docs/algorithm.md section N" names a section that exists."""

import re

from ..conftest import ROOT


def test_every_cited_section_exists():
    doc = (ROOT / "docs" / "algorithm.md").read_text()
    sections = set(re.findall(r"^## (\d+)\.", doc, flags=re.M)) | set(re.findall(r"^(\d+\.\d+)\. ", doc, flags=re.M))
    cited = []
    for path in [*ROOT.glob("rnn/**/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("workflow/rules/*.smk")]:
        for ref in re.findall(r"docs/algorithm\.md sections? ([\d.]+(?:-[\d.]+)?)", path.read_text()):
            cited += [(path.name, part) for part in ref.split("-")]
    assert cited, "no references found"
    missing = [(name, ref) for name, ref in cited if ref not in sections]
    assert not missing, missing
    assert not [p for p in [*ROOT.glob("rnn/**/*.py"), *ROOT.glob("tests/**/*.py")] if "SPEC " + "section" in p.read_text()]
