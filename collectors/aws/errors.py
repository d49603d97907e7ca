"""Failed AWS calls as evidence: one place turns botocore exceptions into `CollectionError`s."""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import ClientError

from annexa.model import CollectionError

__all__ = ["AwsCallError", "collection_error", "error_code"]


def error_code(exc: BaseException) -> str:
    """The AWS error code (`AccessDenied`) or, for client-side failures, the exception's name
    (`NoCredentialsError`, `EndpointConnectionError`, `ReadTimeoutError`)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or str(exc)
    else:
        message = str(exc) or type(exc).__name__
    return " ".join(message.split())


def collection_error(
    exc: BaseException,
    operation: str,
    kinds: tuple[str, ...],
    scope: Mapping[str, str],
    resource: str | None = None,
) -> CollectionError:
    """The one translation of a failed call (ClientError, NoCredentialsError, EndpointConnectionError, ...)."""
    code = error_code(exc)
    return CollectionError(
        kinds=kinds,
        scope=dict(scope),
        message=f"{operation} failed: {code}: {_one_line(exc)}",
        operation=operation,
        code=code,
        resource=resource,
    )


class AwsCallError(Exception):
    """A failed AWS call, carrying the operation name until a collector knows the kinds and scope."""

    def __init__(self, operation: str, cause: BaseException) -> None:
        super().__init__(f"{operation}: {cause}")
        self.operation = operation
        self.cause = cause

    @property
    def code(self) -> str:
        return error_code(self.cause)

    @property
    def message(self) -> str:
        return _one_line(self.cause)

    def means(self, answer: str) -> bool:
        """Whether this failure is the answer `answer` names: an error code (`NoSuchEntity`), or a
        code and what its message must say (`InvalidAccessException: not subscribed`), for codes
        AWS uses for more than one thing."""
        code, _, says = answer.partition(":")
        return self.code == code.strip() and says.strip().lower() in self.message.lower()

    def to_collection_error(
        self, kinds: tuple[str, ...], scope: Mapping[str, str], resource: str | None = None
    ) -> CollectionError:
        return collection_error(self.cause, self.operation, kinds, scope, resource)
