"""Discord's documented limits, checked on every payload the bot sends to the fake.

Each function returns a list of human-readable violations (empty when the payload is valid).
Sources: Discord developer docs — Message Resource (embed limits), Message Components,
Application Commands (naming, option and choice limits), Interactions (autocomplete, modals).
"""

from __future__ import annotations

import base64
import io
import ipaddress
import re
from typing import Any

import yarl

COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
MENTION_LIKE = re.compile(r"@everyone|@here|<@[!&]?\d+>")

EPHEMERAL = 1 << 6
ALLOWED_MESSAGE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


# A host as Discord reads it: dot-separated labels of letters, digits, hyphens (IDNA-encoded first),
# the last one not a number; or an IP address in brackets or dotted.
_HOST = re.compile(r"^(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)*(?!-)(?![0-9]+\.?$)[a-z0-9_-]{1,63}(?<!-)\.?$")
_DOTTED_IP = re.compile(r"^(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$")


def _url_ok(value: Any, *, attachment: bool = True) -> bool:
    """What Discord takes for a link, a title's link or a picture: a well-formed http(s) URL (Discord
    answers 400 "Not a well formed URL." otherwise), or an uploaded file's attachment:// name."""
    if not isinstance(value, str):
        return False
    if value.startswith("attachment://"):
        return attachment and len(value) > len("attachment://")
    if any(char.isspace() or not char.isprintable() for char in value):
        return False
    try:
        url = yarl.URL(value)
    except ValueError:
        return False
    if url.scheme not in ("http", "https") or not url.raw_host:
        return False
    host = url.raw_host.lower()
    if ":" in host:  # yarl read the brackets of an IPv6 literal
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return False
        return True
    return bool(_DOTTED_IP.match(host) or (_HOST.match(host) and not host.replace(".", "").isdigit()))


def check_embeds(embeds: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds in one message (max 10)")
    total = 0
    for n, embed in enumerate(embeds):
        where = f"embed[{n}]"
        title = embed.get("title")
        description = embed.get("description")
        if _length(title) > 256:
            problems.append(f"{where}.title is {_length(title)} chars (max 256)")
        if _length(description) > 4096:
            problems.append(f"{where}.description is {_length(description)} chars (max 4096)")
        fields = embed.get("fields", [])
        if len(fields) > 25:
            problems.append(f"{where} has {len(fields)} fields (max 25)")
        for i, field in enumerate(fields):
            name, value = field.get("name", ""), field.get("value", "")
            if not name or not str(name).strip() or len(name) > 256:
                problems.append(f"{where}.fields[{i}].name must be 1-256 visible chars, got {len(name)}")
            if not value or not str(value).strip() or len(value) > 1024:
                problems.append(f"{where}.fields[{i}].value must be 1-1024 visible chars, got {len(value)}")
            total += _length(name) + _length(value)
        footer = embed.get("footer") or {}
        author = embed.get("author") or {}
        if _length(footer.get("text")) > 2048:
            problems.append(f"{where}.footer.text is {_length(footer.get('text'))} chars (max 2048)")
        if _length(author.get("name")) > 256:
            problems.append(f"{where}.author.name is {_length(author.get('name'))} chars (max 256)")
        pictures = (
            ("thumbnail.url", (embed.get("thumbnail") or {}).get("url")),
            ("image.url", (embed.get("image") or {}).get("url")),
        )
        for key, value in (("url", embed.get("url")), ("author.url", author.get("url")), *pictures):
            if value is not None and not _url_ok(value, attachment=key != "url" and key != "author.url"):
                problems.append(f"{where}.{key} is not a well-formed http(s) URL: {value!r}")
        total += _length(title) + _length(description) + _length(footer.get("text")) + _length(author.get("name"))
    if total > 6000:
        problems.append(f"embeds total {total} chars (max 6000 per message)")
    return problems


def _check_button(button: dict[str, Any], where: str) -> list[str]:
    problems = []
    style = button.get("style")
    if _length(button.get("label")) > 80:
        problems.append(f"{where}.label is {_length(button.get('label'))} chars (max 80)")
    if not button.get("label") and not button.get("emoji"):
        problems.append(f"{where} has neither label nor emoji")
    if style == 5:
        if not _url_ok(button.get("url"), attachment=False) or "custom_id" in button:
            problems.append(f"{where}: a link button needs a well-formed http(s) url and no custom_id")
        elif len(button["url"]) > 512:
            problems.append(f"{where}.url is longer than 512 chars")
    elif style in (1, 2, 3, 4):
        if not button.get("custom_id"):
            problems.append(f"{where}: a non-link button needs a custom_id")
    elif style != 6:
        problems.append(f"{where}.style {style!r} is not a button style")
    return problems


def _check_select(select: dict[str, Any], where: str) -> list[str]:
    problems = []
    options = select.get("options")
    if select.get("type") == 3:
        if not options or len(options) > 25:
            problems.append(f"{where} has {len(options or [])} options (1-25)")
        for i, option in enumerate(options or []):
            for key, limit in (("label", 100), ("value", 100), ("description", 100)):
                if _length(option.get(key)) > limit:
                    problems.append(f"{where}.options[{i}].{key} longer than {limit}")
            if not option.get("label") or not option.get("value"):
                problems.append(f"{where}.options[{i}] needs a label and a value")
        values = [o.get("value") for o in options or []]
        if len(values) != len(set(values)):
            problems.append(f"{where} has duplicate option values")
    if _length(select.get("placeholder")) > 150:
        problems.append(f"{where}.placeholder longer than 150")
    min_values, max_values = select.get("min_values", 1), select.get("max_values", 1)
    if not (0 <= min_values <= 25 and 1 <= max_values <= 25 and min_values <= max_values):
        problems.append(f"{where} has min_values={min_values}, max_values={max_values}")
    return problems


def check_components(rows: list[dict[str, Any]], *, in_modal: bool = False) -> list[str]:
    problems: list[str] = []
    if len(rows) > 5:
        problems.append(f"{len(rows)} top-level components (max 5)")
    custom_ids: list[str] = []

    def visit(component: dict[str, Any], where: str) -> None:
        custom_id = component.get("custom_id")
        if custom_id is not None:
            if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
                problems.append(f"{where}.custom_id must be 1-100 chars, got {custom_id!r}")
            custom_ids.append(custom_id)
        kind = component.get("type")
        if kind == 2:
            problems.extend(_check_button(component, where))
        elif kind in (3, 5, 6, 7, 8):
            problems.extend(_check_select(component, where))
        elif kind == 4:
            problems.extend(_check_text_input(component, where))

    for r, row in enumerate(rows):
        where = f"components[{r}]"
        if row.get("type") == 1:
            children = row.get("components", [])
            if not children:
                problems.append(f"{where} is an empty action row")
            buttons = [c for c in children if c.get("type") == 2]
            others = [c for c in children if c.get("type") != 2]
            if len(buttons) > 5 or (others and len(children) > 1):
                problems.append(f"{where}: an action row holds up to 5 buttons or exactly one select/input")
            if in_modal and buttons:
                problems.append(f"{where}: buttons are not allowed in a modal")
            for c, child in enumerate(children):
                visit(child, f"{where}.components[{c}]")
        elif row.get("type") == 18:  # Label (modal)
            visit(row.get("component", {}), f"{where}.component")
        else:
            visit(row, where)
    if len(custom_ids) != len(set(custom_ids)):
        problems.append(f"duplicate custom_ids in one message: {custom_ids}")
    return problems


def _check_text_input(component: dict[str, Any], where: str) -> list[str]:
    problems = []
    if component.get("style") not in (1, 2):
        problems.append(f"{where}.style must be 1 (short) or 2 (paragraph)")
    label = component.get("label")
    if label is not None and not 1 <= len(label) <= 45:
        problems.append(f"{where}.label must be 1-45 chars, got {len(label)}")
    min_length, max_length = component.get("min_length", 0), component.get("max_length", 4000)
    if not (0 <= min_length <= 4000 and 1 <= max_length <= 4000 and min_length <= max_length):
        problems.append(f"{where} has min_length={min_length}, max_length={max_length} (0-4000, 1-4000)")
    if _length(component.get("value")) > 4000:
        problems.append(f"{where}.value longer than 4000")
    if _length(component.get("placeholder")) > 100:
        problems.append(f"{where}.placeholder longer than 100")
    return problems


def check_message(payload: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    content = payload.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content is {len(content)} chars (max 2000)")
    problems += check_embeds(payload.get("embeds") or [])
    problems += check_components(payload.get("components") or [])
    problems += check_files(payload)
    flags = payload.get("flags") or 0
    if flags & ~ALLOWED_MESSAGE_FLAGS:
        problems.append(f"message flags {flags} include ones a bot cannot set")
    if MENTION_LIKE.search(content):
        allowed = payload.get("allowed_mentions")
        if allowed is None or allowed.get("parse") or allowed.get("users") or allowed.get("roles"):
            problems.append(f"content {content[:60]!r} could ping someone: send it with AllowedMentions.none()")
    return problems


def check_modal(payload: dict[str, Any]) -> list[str]:
    problems = []
    title = payload.get("title") or ""
    if not 1 <= len(title) <= 45:
        problems.append(f"modal title must be 1-45 chars, got {len(title)}")
    custom_id = payload.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        problems.append("modal custom_id must be 1-100 chars")
    components = payload.get("components") or []
    if not components:
        problems.append("a modal needs at least one component")
    problems += check_components(components, in_modal=True)
    return problems


def check_choices(choices: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(choices) > 25:
        problems.append(f"{len(choices)} autocomplete choices (max 25)")
    for i, choice in enumerate(choices):
        name, value = choice.get("name", ""), choice.get("value")
        if not 1 <= len(name) <= 100:
            problems.append(f"choice[{i}].name must be 1-100 chars, got {len(name)}: {name!r}")
        if isinstance(value, str) and len(value) > 100:
            problems.append(f"choice[{i}].value longer than 100 chars")
    return problems


def _command_chars(node: dict[str, Any]) -> int:
    total = _length(node.get("name")) + _length(node.get("description"))
    for choice in node.get("choices") or []:
        total += _length(choice.get("name")) + _length(str(choice.get("value")))
    return total + sum(_command_chars(option) for option in node.get("options") or [])


def _check_options(options: list[dict[str, Any]], where: str) -> list[str]:
    problems = []
    if len(options) > 25:
        problems.append(f"{where} has {len(options)} options (max 25)")
    names = [o.get("name") for o in options]
    if len(names) != len(set(names)):
        problems.append(f"{where} has duplicate option names {names}")
    seen_optional = False
    for option in options:
        here = f"{where}.{option.get('name')}"
        problems += _check_name_and_description(option, here)
        kind = option.get("type")
        if kind in (1, 2):
            problems += _check_options(option.get("options") or [], here)
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{here}: required options must come before optional ones")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append(f"{here} has {len(choices)} choices (max 25)")
        if choices and option.get("autocomplete"):
            problems.append(f"{here} has both choices and autocomplete")
        for choice in choices:
            if not 1 <= _length(choice.get("name")) <= 100:
                problems.append(f"{here}: choice name {choice.get('name')!r} must be 1-100 chars")
    return problems


def _check_name_and_description(node: dict[str, Any], where: str) -> list[str]:
    problems = []
    name = node.get("name") or ""
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{where}: name {name!r} must be 1-32 lowercase letters, digits, - or _")
    description = node.get("description") or ""
    if not 1 <= len(description) <= 100:
        problems.append(f"{where}: description must be 1-100 chars, got {len(description)}")
    return problems


def check_commands(commands: list[dict[str, Any]]) -> list[str]:
    problems = []
    by_type: dict[int, list[str]] = {}
    for command in commands:
        kind = command.get("type", 1)
        name = command.get("name") or ""
        by_type.setdefault(kind, []).append(name)
        if kind == 1:
            problems += _check_name_and_description(command, f"/{name}")
            problems += _check_options(command.get("options") or [], f"/{name}")
            if _command_chars(command) > 4000:
                problems.append(f"/{name}: names, descriptions and choices exceed 4000 chars")
        elif not 1 <= len(name) <= 32:
            problems.append(f"context menu {name!r} must be 1-32 chars")
    for kind, names in by_type.items():
        if len(names) != len(set(names)):
            problems.append(f"duplicate command names of type {kind}: {sorted(names)}")
        limit = 100 if kind == 1 else 15
        if len(names) > limit:
            problems.append(f"{len(names)} commands of type {kind} (max {limit})")
    return problems


def check_thread(body: dict[str, Any]) -> list[str]:
    """A thread started from a message: its name and how long until it archives itself."""
    problems = []
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        problems.append(f"thread name must have 1-100 characters: {name!r}")
    if body.get("auto_archive_duration") not in (60, 1440, 4320, 10080):
        problems.append(f"auto_archive_duration must be 60, 1440, 4320 or 10080: {body.get('auto_archive_duration')!r}")
    return problems


DECODE_IMAGES = True  # benchmarks turn it off: they time the bot from the process the fake runs in
UPLOAD_LIMIT = 10 * 1024 * 1024  # what a bot may attach to a message in a server without boosts
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def uploaded(filename: str, content: bytes) -> dict[str, Any]:
    """A file part of a multipart message, as the fake keeps it: text files readable as `content`, every
    file's bytes in base64 (the message stays JSON), and what Discord would take its type to be."""
    try:
        text: str | None = content.decode()
    except UnicodeDecodeError:
        text = None
    kind = (
        "image/png"
        if content.startswith(PNG_MAGIC)
        else "text/plain"
        if text is not None
        else "application/octet-stream"
    )
    return {
        "filename": filename, "size": len(content), "content": text, "content_type": kind,
        "data": base64.b64encode(content).decode(),
    }  # fmt: skip


def check_files(payload: dict[str, Any]) -> list[str]:
    """Attachments: within the upload limit; a .png is a PNG Pillow decodes, of a sensible size; alt texts
    within 1,024 characters; an embed's attachment:// image names a file sent with it."""
    problems = []
    files = payload.get("files") or []
    names = {file["filename"] for file in files}
    for file in files:
        if file["size"] > UPLOAD_LIMIT:
            problems.append(f"{file['filename']} is {file['size']} bytes (max {UPLOAD_LIMIT})")
        if file["filename"].endswith(".png") and DECODE_IMAGES:
            problems += _check_png(file)
    for attachment in payload.get("attachments") or []:
        if len(attachment.get("description") or "") > 1024:
            problems.append(f"attachment {attachment.get('filename')} has a description over 1024 characters")
    for embed in payload.get("embeds") or []:
        url = (embed.get("image") or {}).get("url") or ""
        if url.startswith("attachment://") and url.removeprefix("attachment://") not in names:
            problems.append(f"embed image {url} names no attached file")
    return problems


def _check_png(file: dict[str, Any]) -> list[str]:
    from PIL import Image  # only tests that send images need Pillow loaded

    if file["content_type"] != "image/png":
        return [f"{file['filename']} is not a PNG ({file['content_type']})"]
    try:
        with Image.open(io.BytesIO(base64.b64decode(file["data"]))) as image:
            image.load()
            width, height, kind = image.width, image.height, image.format
    except Exception as error:
        return [f"{file['filename']} does not decode: {error}"]
    if kind != "PNG" or not (300 <= width <= 4096 and 200 <= height <= 4096):
        return [f"{file['filename']} is a {kind} of {width}x{height} (expected a PNG of 300-4096 x 200-4096)"]
    return []
