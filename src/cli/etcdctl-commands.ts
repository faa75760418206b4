/**
 * etcdctl 3.4's commands, in its order (ctl.go and each group's AddCommand). Prefixes are
 * judged against these as well as tsetcd's own commands, so that a prefix etcdctl finds
 * ambiguous (`etcdctl m`: member, move-leader, make-mirror, migrate) is ambiguous here too,
 * and stays so as commands are added. The root order is the order of cobra's suggestions.
 */
export const ETCDCTL_COMMANDS: readonly string[] = [
  'get', 'put', 'del', 'txn', 'compaction',
  'alarm:disarm', 'alarm:list',
  'defrag',
  'endpoint:health', 'endpoint:status', 'endpoint:hashkv',
  'move-leader', 'watch', 'version',
  'lease:grant', 'lease:revoke', 'lease:timetolive', 'lease:list', 'lease:keep-alive',
  'member:add', 'member:remove', 'member:update', 'member:list', 'member:promote',
  'snapshot:save', 'snapshot:restore', 'snapshot:status',
  'make-mirror', 'migrate', 'lock', 'elect',
  'auth:enable', 'auth:disable',
  'user:add', 'user:delete', 'user:get', 'user:list', 'user:passwd', 'user:grant-role', 'user:revoke-role',
  'role:add', 'role:delete', 'role:get', 'role:list', 'role:grant-permission', 'role:revoke-permission',
  'check:perf', 'check:datascale',
  // etcdctl 3.3 (API v2)
  'cluster-health',
]
