"""The kubectl-argo-rollouts verbs as patches (AR:pkg/kubectl-argo-rollouts/cmd/promote/promote.go et al.)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.delivery import actions
from shipyard.errors import NotFoundError


def ro(status: dict[str, Any], paused: bool = False) -> dict[str, Any]:
    steps = [{"setWeight": 10}, {"analysis": {"templates": [{"templateName": "t"}]}}, {"pause": {}}]
    return {
        "metadata": {"name": "r"},
        "spec": {
            "paused": paused,
            "strategy": {"canary": {"steps": steps}},
            "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}},
        },
        "status": status,
    }


@pytest.mark.parametrize(
    ("status", "paused", "want"),
    [
        (
            {"currentStepIndex": 2, "pauseConditions": [{"reason": "CanaryPauseStep"}], "controllerPause": True},
            False,
            {"currentStepIndex": 2, "pauseConditions": None, "controllerPause": True},
        ),
        (
            {
                "currentStepIndex": 1,
                "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
                "controllerPause": True,
            },
            False,
            {"currentStepIndex": 2, "pauseConditions": None, "controllerPause": False},
        ),
        ({"currentStepIndex": 1}, False, {"currentStepIndex": 2, "pauseConditions": None}),
        ({"currentStepIndex": 3}, False, {"currentStepIndex": 3}),
        ({"currentStepIndex": 0}, True, {"currentStepIndex": 0}),
    ],
    ids=["clears-pause-step", "inconclusive-step-skips", "no-pause-skips-one-step", "capped-at-len", "unpause-only"],
)
def test_promote(status: dict[str, Any], paused: bool, want: dict[str, Any]) -> None:
    new, message = actions.promote(ro(status, paused))
    assert new["status"] == want and new["spec"]["paused"] is False
    assert message == "rollout 'r' promoted"


def test_promote_full_abort_retry_pause() -> None:
    new, msg = actions.promote(ro({"currentPodHash": "b", "stableRS": "a", "abort": True}), full=True)
    assert (
        new["status"]["promoteFull"] is True and new["status"]["abort"] is False and msg == "rollout 'r' fully promoted"
    )
    assert actions.abort(ro({}))[0]["status"]["abort"] is True
    assert actions.retry(ro({"abort": True}))[0]["status"]["abort"] is False
    assert actions.pause(ro({}))[0]["spec"]["paused"] is True


def test_set_image_and_undo() -> None:
    new, _ = actions.set_image(ro({}), "app", "a:2")
    assert new["spec"]["template"]["spec"]["containers"][0]["image"] == "a:2"
    with pytest.raises(NotFoundError, match='unable to find container named "nope"'):
        actions.set_image(ro({}), "nope", "x")
    rss = [
        {
            "metadata": {"annotations": {"rollout.argoproj.io/revision": str(i)}},
            "spec": {
                "template": {
                    "metadata": {"labels": {"rollouts-pod-template-hash": f"h{i}"}},
                    "spec": {"containers": [{"name": "app", "image": f"a:{i}"}]},
                }
            },
        }
        for i in (1, 2)
    ]
    back, msg = actions.undo(new, rss)
    assert back["spec"]["template"]["spec"]["containers"][0]["image"] == "a:1"
    assert "rollouts-pod-template-hash" not in back["spec"]["template"]["metadata"]["labels"]
    _, msg = actions.undo(back, rss, to_revision=1)
    assert msg == "skipped rollback (current template already matches revision 1)"
    with pytest.raises(NotFoundError, match="unable to find specified revision 9"):
        actions.undo(new, rss, to_revision=9)
