"""Google field masks: ``a.b,c(d,e),f/g``, used by ``fields=`` and by ``*Properties`` updates."""

from __future__ import annotations

import copy
from typing import Any

# A mask tree: key -> subtree, or None for "this key and everything below it".
MaskTree = dict[str, "MaskTree | None"]


class MaskError(ValueError):
    pass


def _merge(node: MaskTree, key: str, sub: MaskTree | None) -> None:
    if key in node and node[key] is None:
        return
    if sub is None or key not in node:
        node[key] = sub
        return
    existing = node[key]
    assert existing is not None
    for k, v in sub.items():
        _merge(existing, k, v)


def parse_mask(text: str) -> MaskTree:
    """Parse a field mask into a tree."""
    tree, pos = _parse_list(text.replace(" ", ""), 0)
    if pos != len(text.replace(" ", "")):
        raise MaskError(text)
    return tree


def _parse_list(text: str, pos: int) -> tuple[MaskTree, int]:
    tree: MaskTree = {}
    while pos < len(text):
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        path = [seg for seg in text[start:pos].replace("/", ".").split(".") if seg]
        sub: MaskTree | None = None
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise MaskError(text)
            pos += 1
        if path:
            node = tree
            for seg in path[:-1]:
                if seg in node and node[seg] is None:
                    break
                child = node.setdefault(seg, {})
                assert child is not None
                node = child
            else:
                _merge(node, path[-1], sub)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == ")":
            return tree, pos
    return tree, pos


def filter_by_mask(obj: Any, tree: MaskTree | None) -> Any:
    """Keep only the masked fields of a response (lists are traversed transparently)."""
    if tree is None or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [filter_by_mask(item, tree) for item in obj]
    if isinstance(obj, dict):
        return {k: filter_by_mask(obj[k], sub) for k, sub in tree.items() if k in obj}
    return obj


def mask_mentions(tree: MaskTree | None, *path: str) -> bool:
    """Whether the mask selects anything at or below ``path``."""
    node: MaskTree | None = tree
    for seg in path:
        if node is None or "*" in node:
            return True
        if seg not in node:
            return False
        node = node[seg]
    return True


def update_by_mask(target: dict[str, Any], source: dict[str, Any], tree: MaskTree) -> None:
    """Copy the masked fields from ``source`` into ``target``; masked but absent
    (or null) fields are cleared, as Google does for ``update*`` requests."""
    for key, sub in tree.items():
        if key == "*":
            for k, v in source.items():
                target[k] = copy.deepcopy(v)
            continue
        if sub is None:
            if source.get(key) is not None:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
            continue
        src = source.get(key)
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
        update_by_mask(child, src if isinstance(src, dict) else {}, sub)
        if child:
            target[key] = child
        else:
            target.pop(key, None)
