"""The EUC background job as a django-tasks task, so an extraction never runs in the clerk's request."""

from __future__ import annotations

from django_tasks import task

from jumin.registry.euc.services import run_extraction


@task()
def run_euc_job(run_id: int) -> None:
    """Run one queued extraction (``EucRun``); a run already done or failed is left as it is."""
    run_extraction(run_id)
