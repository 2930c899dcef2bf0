"""Errors raised when values do not match the reference code lists.

Both derive from ``ValueError`` so that a Pydantic validator calling the ``validate_*``
helpers turns them into ordinary 422 validation errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CodeListError(ValueError):
    """Base class for values that do not fit a reference code list."""

    def __init__(self, field: str, value: str, message: str) -> None:
        """Store the offending field and value alongside a readable message.

        Args:
            field: What was being looked up, e.g. "sector code" or "country".
            value: The value as received.
            message: The full human-readable message.
        """
        super().__init__(message)
        self.field = field
        self.value = value


class UnknownCode(CodeListError):
    """A value that is not in the code list, with up to three suggestions."""

    def __init__(
        self,
        field: str,
        value: str,
        suggestions: Sequence[str] = (),
        *,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Build the error and its message.

        Args:
            field: What was being looked up, e.g. "sector code".
            value: The unknown value as received.
            suggestions: Valid codes close to ``value``, best first (at most 3 are kept).
            labels: Optional display names for the suggested codes, used in the message only.
        """
        self.suggestions: list[str] = list(suggestions)[:3]
        names = labels or {}
        message = f"unknown {field} '{value}'"
        if self.suggestions:
            shown = [f"{code} ({names[code]})" if code in names else code for code in self.suggestions]
            message += f"; did you mean {', '.join(shown)}?"
        super().__init__(field, value, message)


class DuplicateCode(CodeListError):
    """A list that names the same code twice (possibly in two spellings)."""

    def __init__(self, field: str, value: str, *, code: str | None = None) -> None:
        """Build the error and its message.

        Args:
            field: What the list holds, e.g. "sector code".
            value: The repeated value as received.
            code: The normalised code it resolved to, when different from ``value``.
        """
        self.code = code if code is not None else value
        message = f"duplicate {field} '{value}'"
        if code is not None and code != value:
            message += f" (already given as {code})"
        super().__init__(field, value, message)
