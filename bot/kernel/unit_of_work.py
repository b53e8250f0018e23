"""The unit of work: one database transaction that a service owns from start to commit."""

from __future__ import annotations

from types import TracebackType
from typing import Callable, TypeVar

from sqlalchemy.orm import Session, sessionmaker

UseCase = TypeVar("UseCase", bound=Callable[..., object])


class UnitOfWork:
    """Opens a session on enter; rolls back anything not committed on exit.

    Services receive a unit of work, do their reads and writes through `uow.session`, and call
    `uow.commit()` once the use case succeeded. Tests can pass one bound to a throwaway database.
    """

    session: Session

    def __init__(self, session_factory: sessionmaker) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class ReadOnlyUnitOfWork(UnitOfWork):
    """A unit of work for use cases that only read (see `read_only`): it refuses to commit.

    On SQLite its transaction begins DEFERRED, so in WAL mode it reads a snapshot without waiting for
    writers (a writing transaction begins IMMEDIATE and holds the one write lock).
    """

    def commit(self) -> None:
        raise RuntimeError("a read-only unit of work cannot commit: drop @read_only from this use case")


def read_only(use_case: UseCase) -> UseCase:
    """Marks a service function that never writes, so `Shop` runs it in a ReadOnlyUnitOfWork."""
    use_case.read_only = True  # type: ignore[attr-defined]
    return use_case


def is_read_only(use_case: Callable[..., object]) -> bool:
    return bool(getattr(use_case, "read_only", False))
