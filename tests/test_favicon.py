"""/favicon.ico: a small local icon for every caller, linked from every page (no 404, no CDN)."""

from __future__ import annotations

from test_web import login, web  # noqa: F401  (the fixture)


def test_favicon_is_a_small_local_icon(web):  # noqa: F811
    r = web.get("/favicon.ico")  # anonymous: browsers ask before anyone logs in
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/vnd.microsoft.icon"
    assert r.content[:4] == b"\x00\x00\x01\x00" and len(r.content) < 2048
    assert "max-age" in r.headers["cache-control"]
    assert '<link rel="icon" href="/favicon.ico"' in web.get("/login").text
    login(web, "agent")
    assert '<link rel="icon" href="/favicon.ico"' in web.get("/").text
