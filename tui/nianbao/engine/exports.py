"""The export formats, one entry point for the CLI and the app: a draft as the bytes of a file."""

from __future__ import annotations

from nianbao.store.draft import Draft

FORMATS = ("md", "html", "docx")
SUFFIX = {"md": ".md", "html": ".html", "docx": ".docx"}
LABEL = {"md": "Markdown", "html": "网页(HTML)", "docx": "Word(DOCX)"}
BY_SUFFIX = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".docx": "docx"}


def export_bytes(draft: Draft, fmt: str, *, tables: str = "pipe", record: str = "") -> bytes:
    """The report in one format (md, html or docx); ``record`` is a validation record's text."""
    if fmt == "docx":
        from nianbao.engine.docx_report import render_docx

        return render_docx(draft, record)
    if fmt == "html":
        from nianbao.engine.html_report import render_html

        return render_html(draft, record).encode("utf-8")
    if fmt != "md":
        raise ValueError(f"导出格式只能是 {'、'.join(FORMATS)},不是“{fmt}”")
    from nianbao.engine.render import render_markdown

    return render_markdown(draft, tables=tables, record=record).encode("utf-8")
