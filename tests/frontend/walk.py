"""Walk the pages a signed-in person can reach by following links, as that person would.

`walk(client, start)` follows every same-host link it finds (GET only, no downloads, no sign-out), visiting at
most `per_pattern` pages per URL pattern (``/assets/<int:pk>/`` once or twice, not for every asset) and at most
`limit` pages in all. For each page it keeps the visible text and each link's answer, so a test can fail on a
code word shown as text or a link that the same person may not open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.urls import Resolver404, resolve

PROJECT_APPS = ("tenants", "schools", "assets", "repairs", "safety", "reporting", "api", "people", "frontend")

# Links a walk does not follow: signing out, files and downloads, the API and the admin.
_SKIP_PATH = re.compile(r"^/(accounts/logout|logout|admin|graphql|static|media|__debug__|i18n)(/|$)")
_SKIP_QUERY = {"format", "download", "export"}
_SKIP_SUFFIX = (".xlsx", ".pdf", ".docx", ".csv", ".zip", ".png", ".jpg", ".svg", ".ico", ".js", ".css")


class _Page(HTMLParser):
    """The visible text and the links of one HTML page."""

    _HIDDEN = {"script", "style", "template", "noscript", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self._HIDDEN:
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


@dataclass
class Visit:
    url: str
    status: int
    text: str = ""
    referrer: str = ""


@dataclass
class Walk:
    visits: dict[str, Visit] = field(default_factory=dict)

    def pages(self):
        return [v for v in self.visits.values() if v.status == 200 and v.text]

    def refused(self):
        """Links the person was shown but may not open (403, 404, or sent to sign in)."""
        return [v for v in self.visits.values() if v.status in (403, 404, 500) or v.status == -1]


def _pattern(path: str, query: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    keys = sorted(k for k, _ in parse_qsl(query, keep_blank_values=True) if k not in ("page",))
    return f"{match.route}?{'&'.join(keys)}"


def _normalise(href: str, current: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "sms:")):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None  # another host: another school or an outside site
    path = parts.path
    if not path.startswith("/"):
        base = current.rsplit("/", 1)[0]
        path = f"{base}/{path}"
    if _SKIP_PATH.match(path) or path.endswith(_SKIP_SUFFIX):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SKIP_QUERY]
    if len(query) != len(parse_qsl(parts.query, keep_blank_values=True)):
        return None
    return path + (f"?{urlencode(query)}" if query else "")


def walk(
    client, start: str = "/", *, limit: int = 300, per_pattern: int = 2, language: str = "zh-hans"
) -> Walk:
    result = Walk()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the person's own choice, as the menu sets it
    queue = [(start, "")]
    seen_patterns: dict[str, int] = {}
    while queue and len(result.visits) < limit:
        url, referrer = queue.pop(0)
        if url in result.visits:
            continue
        path, _, query = url.partition("?")
        pattern = _pattern(path, query)
        if seen_patterns.get(pattern, 0) >= per_pattern:
            continue
        seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        status = response.status_code
        if status in (301, 302):
            location = response.headers.get("Location", "")
            if settings.LOGIN_URL in location or "/accounts/login" in location:
                status = -1  # the person was sent to sign in: the page is not theirs
            else:
                target = _normalise(location, path)
                if target:
                    queue.append((target, referrer))
        visit = Visit(url=url, status=status, referrer=referrer)
        result.visits[url] = visit
        content_type = response.headers.get("Content-Type", "")
        if status != 200 or "text/html" not in content_type:
            continue
        parser = _Page()
        parser.feed(response.content.decode())
        visit.text = "\n".join(parser.text)
        for href in parser.links:
            target = _normalise(href, path)
            if target and target not in result.visits:
                queue.append((target, url))
    return result


def code_words() -> dict[str, str]:
    """Every choice value and field name of the project's models that reads as code, with where it comes from."""
    words: dict[str, str] = {}
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for f in model._meta.get_fields():
            if not getattr(f, "concrete", False):
                continue
            if "_" in f.name:
                words.setdefault(f.name, f"{model._meta.label}.{f.name}")
                words.setdefault(f.attname, f"{model._meta.label}.{f.name}")
            for value, _label in getattr(f, "flatchoices", None) or ():
                if (
                    isinstance(value, str)
                    and re.fullmatch(r"[a-z][a-z0-9]*(?:[._][a-z0-9]+)*", value)
                    and len(value) >= 3
                ):
                    words.setdefault(value, f"{model._meta.label}.{f.name} choice")
    return words


_TOKEN = re.compile(r"(?<![\w@/.-])[a-z][a-z0-9]*(?:[._][a-z0-9]+)*(?![\w@/-])")


def code_words_in(text: str, words: dict[str, str], allowed: set[str] = frozenset()) -> set[str]:
    return {t for t in _TOKEN.findall(text) if t in words and t not in allowed}
