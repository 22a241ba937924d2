import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from {{ cookiecutter.project_slug }}.core.backfill import backfill
from {{ cookiecutter.project_slug }}.core.models import Backfill

from .factories import UserFactory

User = get_user_model()
# Each batch commits: the test needs real transactions, not one wrapping the whole test.
pytestmark = pytest.mark.django_db(transaction=True)


def mark(batch):
    """A change that shows how often each row was processed: one '+' per time."""
    batch.update(last_name=Concat(F("last_name"), Value("+")))


def test_a_backfill_processes_every_row_once_in_batches_and_reports_progress():
    UserFactory.create_batch(25, last_name="")
    lines: list[str] = []
    done = backfill(
        User.objects.all(), mark, name="mark", batch_size=10, progress=lines.append, report_every=0
    )
    assert done == 25
    assert set(User.objects.values_list("last_name", flat=True)) == {"+"}
    assert [line.split(",")[0] for line in lines] == [
        "backfill mark: 10 rows",
        "backfill mark: 20 rows",
        "backfill mark: 25 rows",
        "backfill mark: finished",
    ]
    assert "rows/s" in lines[-1]


def test_an_interrupted_backfill_resumes_after_the_last_finished_batch():
    UserFactory.create_batch(25, last_name="")
    calls = 0

    def mark_then_crash(batch):
        nonlocal calls
        calls += 1
        mark(batch)
        if calls == 2:
            raise KeyboardInterrupt  # the second batch rolls back with its checkpoint

    with pytest.raises(KeyboardInterrupt):
        backfill(User.objects.all(), mark_then_crash, name="mark", batch_size=10, progress=print)
    assert Backfill.objects.get(name="mark").rows == 10

    lines: list[str] = []
    done = backfill(User.objects.all(), mark, name="mark", batch_size=10, progress=lines.append)
    assert done == 15
    assert lines[0].startswith("backfill mark: resuming after pk")
    assert set(User.objects.values_list("last_name", flat=True)) == {"+"}


def test_a_finished_backfill_does_nothing_when_run_again():
    UserFactory.create_batch(3, last_name="")
    backfill(User.objects.all(), mark, name="mark", progress=print)
    UserFactory.create(last_name="")
    assert backfill(User.objects.all(), mark, name="mark", progress=print) == 0
    assert User.objects.filter(last_name="").count() == 1


def test_a_backfill_only_touches_rows_of_its_queryset():
    UserFactory.create_batch(4, last_name="", is_active=False)
    UserFactory.create_batch(3, last_name="", is_active=True)
    assert backfill(User.objects.filter(is_active=True), mark, name="active", batch_size=2) == 3
    assert User.objects.filter(last_name="+").count() == 3
    assert not User.objects.filter(is_active=False, last_name="+").exists()


def test_a_backfill_refuses_to_run_inside_a_transaction():
    with transaction.atomic(), pytest.raises(RuntimeError, match="atomic = False"):
        backfill(User.objects.all(), mark, name="mark")
