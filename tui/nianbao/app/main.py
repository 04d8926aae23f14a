"""Entry point used by the CLI: run the app on a draft, or on the start screen."""

from __future__ import annotations


def run_app(path: str | None) -> int:
    from nianbao.app.app import NianbaoApp

    app = NianbaoApp(path)
    try:
        app.run()
    finally:
        app.release_locks()  # also when the app ends with an exception
    return app.return_code or 0
