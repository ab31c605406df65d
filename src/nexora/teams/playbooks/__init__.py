"""Playbooks: stage-based processes run by a team's agents, with reviews, retries and an owner.

Entry points for other features (dispatch, the console):
- `control.start_playbook_run(session, platform.playbooks, actor, playbook, objective,
  inputs=..., group_id=...)` starts a run; `control.take_over(...)` and `control.abort(...)`.
- `store.find_playbook(session, actor, name_or_id)` (dispatch names playbooks), `get_playbook`,
  `list_playbooks`, `create_playbook`, `get_run`, `list_runs`.
- `Platform.playbooks` (`engine.PlaybookEngine`): `advance(playbook_run_id)` and `reconcile()`.
"""
