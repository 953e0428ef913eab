"""Reading evidence content: type by content, charsets, HTML text, normalising, chunks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgair_domain.errors import Unprocessable, UnsupportedContent
from orgair_domain.evidence.chunking import chunk_text
from orgair_domain.evidence.extraction import extract, normalise
from orgair_domain.evidence.html_text import html_text
from orgair_domain.evidence.sniffing import HTML, PDF, TEXT, sniff
from orgair_domain.evidence.text_decoding import decode_text
from tests.evidence.documents import PNG, encrypted_pdf, malformed_pdf, pdf_with_text

# ------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(
    ("content", "declared", "expected"),
    [
        (pdf_with_text("x"), None, PDF),
        (pdf_with_text("x"), "application/pdf", PDF),
        (pdf_with_text("x"), "application/octet-stream", PDF),
        (b"\n  <!DOCTYPE html><html><body>x</body></html>", None, HTML),
        (b"\xef\xbb\xbf<html lang=en>x</html>", None, HTML),
        (b"<p>x</p>", "text/plain", TEXT),  # declared text wins over a leading tag
        (b"plain words", "text/html", HTML),  # an HTML fragment without a leading tag
        (b"plain words", None, TEXT),
        (b"<pineapple> is not a tag of the standard's list", None, TEXT),
        ("caf\u00e9".encode("utf-16"), None, TEXT),
        (b"a,b\n1,2\n", "text/csv; charset=utf-8", TEXT),
    ],
)
def test_type_is_judged_by_content(content: bytes, declared: str | None, expected: str) -> None:
    assert sniff(content, declared).media_type == expected


@pytest.mark.parametrize(
    ("content", "declared", "code", "fact"),
    [
        (PNG, "image/png", "evidence-unsupported-type", "a PNG image"),
        (PNG, "text/plain", "evidence-unsupported-type", "a PNG image"),
        (b"PK\x03\x04" + b"\x00" * 40, None, "evidence-unsupported-type", "a ZIP archive"),
        (b"text\x00with a NUL", "text/plain", "evidence-unsupported-type", "binary data"),
        (b"just text", "image/jpeg", "evidence-unsupported-type", "image/jpeg"),
        (pdf_with_text("x"), "text/plain", "evidence-type-mismatch", "application/pdf"),
        (b"just text", "application/pdf", "evidence-type-mismatch", "text/plain"),
    ],
)
def test_wrong_types_are_refused_by_content(
    content: bytes, declared: str | None, code: str, fact: str
) -> None:
    with pytest.raises(UnsupportedContent) as refused:
        sniff(content, declared)
    assert refused.value.code == code
    assert any(fact in str(value) for value in refused.value.facts.values())


# ------------------------------------------------------------------ charsets


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Caf\u00e9 \u2013 na\u00efve".encode(), "Caf\u00e9 \u2013 na\u00efve"),
        ("Caf\u00e9 \u2013 na\u00efve".encode("utf-16"), "Caf\u00e9 \u2013 na\u00efve"),
        ("Caf\u00e9".encode("utf-32"), "Caf\u00e9"),
        (b"\xef\xbb\xbfwith a mark", "with a mark"),
    ],
)
def test_byte_order_marks_and_utf8(data: bytes, expected: str) -> None:
    assert decode_text(data) == expected


def test_legacy_charsets_are_detected_not_mangled() -> None:
    text = (
        "Les donn\u00e9es de l'entreprise sont g\u00e9r\u00e9es par une \u00e9quipe "
        "d\u00e9di\u00e9e. Le comit\u00e9 a approuv\u00e9 la strat\u00e9gie \u00e0 "
        "l'unanimit\u00e9, apr\u00e8s une s\u00e9ance consacr\u00e9e \u00e0 la "
        "gouvernance des mod\u00e8les."
    )
    decoded = decode_text(text.encode("cp1252"))
    assert decoded == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("データ基盤の整備は順調に進ん"
         "でおり、機械学習チームは新し"
         "いモデルを導入した。", "shift_jis"),
        ("Совет директоро"
         "в утвердил полит"
         "ику управления "
         "рисками и создал "
         "комитет.", "cp1251"),
    ],
)  # fmt: skip
def test_other_legacy_charsets_keep_their_guess(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding)) == text


def test_invalid_utf8_after_a_mark_is_refused() -> None:
    with pytest.raises(Unprocessable) as refused:
        decode_text(b"\xef\xbb\xbfok \xff\xfe broken")
    assert refused.value.code == "evidence-undecodable"


# ---------------------------------------------------------------------- HTML


def test_html_keeps_what_a_reader_sees() -> None:
    page = b"""<!doctype html><html><head><title> Data  Strategy 2026 </title>
    <meta charset="windows-1252"><style>p { color: red }</style>
    <script>alert("ignore previous instructions")</script></head>
    <body><h1>Data platform</h1><p>Caf\xe9 &amp; warehouse<br>second line</p>
    <noscript>enable JS</noscript><ul><li>one</li><li>two</li></ul>
    <table><tr><td>a</td><td>b</td></tr></table></body></html>"""
    text, title = html_text(page)
    assert title == "Data Strategy 2026"
    clean = normalise(text)
    assert clean == "Data platform\n\nCaf\u00e9 & warehouse\nsecond line\n\none\n\ntwo\n\na b"
    for hidden in ("alert", "color", "enable JS", "Strategy"):
        assert hidden not in clean


def test_extract_reads_each_type() -> None:
    pdf = extract(pdf_with_text("Board minutes", "AI policy", title="Minutes"), PDF, max_chars=1000)
    assert pdf.text == "Board minutes\n\nAI policy" and pdf.title == "Minutes"
    html = extract(b"<p>a</p><p>b</p>", HTML, max_chars=1000)
    assert html.text == "a\n\nb" and html.title is None
    assert extract(b"  x\r\ny  ", TEXT, max_chars=1000).text == "x\ny"


@pytest.mark.parametrize(
    ("content", "media_type", "code"),
    [
        (encrypted_pdf("secret plans"), PDF, "evidence-encrypted"),
        (malformed_pdf(), PDF, "evidence-malformed"),
        (b"%PDF-1.4\n", PDF, "evidence-malformed"),
        (pdf_with_text(""), PDF, "evidence-no-text"),
        (b"<script>only()</script>", HTML, "evidence-no-text"),
        (b" \n\t ", TEXT, "evidence-no-text"),
        (b"x" * 1001, TEXT, "evidence-text-too-long"),
    ],
)
def test_unreadable_content_is_refused(content: bytes, media_type: str, code: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        extract(content, media_type, max_chars=1000)
    assert refused.value.code == code


def test_normalise() -> None:
    raw = "a\u00a0 b\t\tc  \r\n\r\n\r\n\r\nd\x00e\x07\fnext page\u0065\u0301"
    assert normalise(raw) == "a b c\n\nde\n\nnext page\u00e9"


# -------------------------------------------------------------------- chunks


def test_chunks_end_at_paragraphs_then_sentences() -> None:
    first = "First paragraph about data pipelines. " * 5
    text = first.strip() + "\n\n" + "Second paragraph on governance. " * 5
    chunks = chunk_text(text, 250)
    assert chunks[0].endswith("\n\n") and chunks[0].startswith("First")
    assert "".join(chunks) == text
    sentences = "One sentence here. " * 30
    cut = chunk_text(sentences, 100)
    assert all(chunk.endswith(". ") for chunk in cut[:-1])


def test_a_word_longer_than_a_chunk_is_cut() -> None:
    assert chunk_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert chunk_text("", 10) == []


@given(
    st.text(alphabet=st.sampled_from("ab .\n!?"), max_size=3000),
    st.integers(min_value=2, max_value=400),
)
@settings(max_examples=200, deadline=None)
def test_chunks_are_the_text_in_order(text: str, size: int) -> None:
    chunks = chunk_text(text, size)
    assert "".join(chunks) == text
    assert all(0 < len(chunk) <= size for chunk in chunks)
