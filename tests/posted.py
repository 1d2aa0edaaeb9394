"""A form as a browser posts it: the data set HTML builds from the rendered page.

Built the way the HTML standard says a browser does: only named, enabled controls; checked
boxes and radios; selected options (a single select without one sends its first); and every
typed input's value *sanitised* by its type first. That last step is what a test client
posting our own dictionaries never does, and why a French page could render a
`datetime-local` as "02/01/2027 10:00:00": the browser drops such a value and posts "".
"""

import re
from html.parser import HTMLParser

# HTML's value sanitisation algorithms, by input type: a value that does not match is "".
SANITISED = {
    "date": re.compile(r"\A\d{4,}-\d{2}-\d{2}\Z"),
    "datetime-local": re.compile(r"\A\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?\Z"),
    "time": re.compile(r"\A\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?\Z"),
    "month": re.compile(r"\A\d{4,}-\d{2}\Z"),
    "number": re.compile(r"\A-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?\Z"),
    "range": re.compile(r"\A-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?\Z"),
    "color": re.compile(r"\A#[0-9a-fA-F]{6}\Z"),
}
NOT_SENT = {"submit", "button", "reset", "image", "file"}


class _Form(HTMLParser):
    def __init__(self, index: int):
        super().__init__(convert_charrefs=True)
        self.index, self.seen, self.inside = index, -1, False
        self.fields: list[tuple[str, str]] = []
        self.textarea: list | None = None
        self.select: dict | None = None
        self.option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.seen += 1
            self.inside = self.seen == self.index
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in NOT_SENT or (kind in {"checkbox", "radio"} and "checked" not in attrs):
                return
            value = attrs.get("value")
            if kind in {"checkbox", "radio"}:
                value = "on" if value is None else value
            value = (value or "").replace("\r", "").replace("\n", "")
            if kind in SANITISED and not SANITISED[kind].match(value):
                value = "#000000" if kind == "color" else ""
            if kind == "datetime-local" and value:
                value = value.replace(" ", "T")
            self.fields.append((name, value))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {"value": attrs.get("value"), "text": "", "selected": "selected" in attrs}
            self.select["options"].append(self.option)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and options and not self.select["multiple"]:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"]
                self.fields.append((self.select["name"], value))
            self.select = None


def posted(html: str | bytes, form: int = 0) -> dict[str, list[str]]:
    """The data set of the page's `form`-th form, as a browser would post it unchanged."""
    parser = _Form(form)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    if parser.seen < form:
        raise AssertionError(f"the page has no form number {form}")
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


def form_index(html: str | bytes, marker: str) -> int:
    """The index of the first form whose opening tag holds `marker` (a class, an id)."""
    text = html.decode() if isinstance(html, bytes) else html
    for index, match in enumerate(re.finditer(r"<form\b[^>]*>", text)):
        if marker in match.group(0):
            return index
    raise AssertionError(f"no form with {marker!r}")
