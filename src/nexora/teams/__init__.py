"""Teams: roles, groups of agents with a lead, team runs, the blackboard, playbooks, dispatch."""
