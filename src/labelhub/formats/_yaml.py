"""The small part of YAML that YOLO's ``data.yaml`` uses, written and read without a YAML
library: ``key: scalar``, flow lists ``[a, b]`` and flow maps ``{0: a}``, and one level of
block list (``- a``) or block map (``0: a``) under a key. Anything else is refused."""

from __future__ import annotations

import json
import re
from typing import Any

from labelhub.errors import InvalidInput

_PLAIN = re.compile(r"^[A-Za-z0-9_./-][A-Za-z0-9_ ./()-]*$")
_KEY = re.compile(r"^([A-Za-z0-9_]+|'[^']*'|\"[^\"]*\")\s*:(?:\s+(.*))?$")


def quote(text: str) -> str:
    """A string as a YAML scalar: bare when that is unambiguous, else double-quoted."""
    if _PLAIN.match(text) and text.strip() == text and _scalar(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def dump(entries: list[tuple[str, Any]]) -> str:
    """``key: value`` lines; dict values become an indented block map, lists flow lists."""
    lines: list[str] = []
    for key, value in entries:
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return quote(str(value))


def _strip_comment(line: str) -> str:
    out, quote_char = [], ""
    for i, ch in enumerate(line):
        if quote_char:
            if ch == quote_char:
                quote_char = ""
        elif ch in "'\"":
            quote_char = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise InvalidInput(f"bad quoted string {text}") from None
        if not isinstance(value, str):
            raise InvalidInput(f"bad quoted string {text}")
        return value
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise InvalidInput(f"bad quoted string {text}")
        return text[1:-1].replace("''", "'")
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "false", "False"):
        return text.lower() == "true"
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return float(text)
    if text[0] in "[{&*!|>%@`":
        raise InvalidInput(f"unsupported YAML value {text}")
    return text


def _split_flow(body: str) -> list[str]:
    parts, depth, quote_char, cur = [], 0, "", []
    for ch in body:
        if quote_char:
            if ch == quote_char:
                quote_char = ""
        elif ch in "'\"":
            quote_char = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def _flow(text: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_flow(p) for p in _split_flow(text[1:-1])]
    if text.startswith("{") and text.endswith("}"):
        out = {}
        for part in _split_flow(text[1:-1]):
            key, sep, value = part.partition(":")
            if not sep:
                raise InvalidInput(f"bad flow mapping entry {part.strip()}")
            out[_scalar(key)] = _flow(value)
        return out
    return _scalar(text)


def parse(text: str) -> dict[Any, Any]:
    """The top-level mapping of a ``data.yaml``."""
    out: dict[Any, Any] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line.strip() or line.strip() in ("---", "..."):
            continue
        try:
            if line[0] in " \t":
                if current is None:
                    raise InvalidInput("indented line outside a block")
                body = line.strip()
                if body.startswith("- "):
                    block = out[current] if isinstance(out[current], list) else []
                    if out[current] not in (None, []) and not isinstance(out[current], list):
                        raise InvalidInput("mixed block list and map")
                    block.append(_flow(body[2:]))
                    out[current] = block
                else:
                    m = _KEY.match(body)
                    if not m:
                        raise InvalidInput(f"cannot read {body!r}")
                    block = out[current] if isinstance(out[current], dict) else {}
                    if out[current] not in (None, {}) and not isinstance(out[current], dict):
                        raise InvalidInput("mixed block list and map")
                    block[_scalar(m.group(1))] = _flow(m.group(2) or "")
                    out[current] = block
                continue
            m = _KEY.match(line)
            if not m:
                raise InvalidInput(f"cannot read {line.strip()!r}")
            key = _scalar(m.group(1))
            value = m.group(2)
            out[key] = _flow(value) if value is not None and value.strip() else None
            current = key if value is None or not value.strip() else None
        except InvalidInput as exc:
            raise InvalidInput(f"line {number}: {exc}") from None
    return out
