from leakcase.celery import app


def test_every_scheduled_task_is_one_a_worker_knows():
    """Beat sends a task by name only: a name no worker registers is dropped by every worker,
    every time, without an error anywhere a person looks."""
    app.loader.import_default_modules()  # what a worker imports as it starts
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks)
    assert "monitoring.tasks.dispatch_rechecks" in scheduled
