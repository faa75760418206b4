/**
 * etcd's client-facing errors: gRPC status code and message, exactly as etcd sends them
 * (etcdctl prints the message; clientv3 maps the message back to its own error values).
 *
 * Server modules throw `EtcdError` with one of these; the gRPC layer turns it into a status.
 * The client compares the messages it receives against the same table (etcd's rpctypes).
 */

/** gRPC status codes used by etcd (subset of @grpc/grpc-js `status`). */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  RESOURCE_EXHAUSTED: 8,
  PERMISSION_DENIED: 7,
  UNAUTHENTICATED: 16,
} as const

export class EtcdError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
    this.name = 'EtcdError'
  }
}

function e(code: number, message: string): EtcdError {
  return new EtcdError(code, message)
}

// Each is a shared value: compare with `===`, never mutate.
export const Errors = {
  EmptyKey: e(Code.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  KeyNotFound: e(Code.INVALID_ARGUMENT, 'etcdserver: key not found'),
  ValueProvided: e(Code.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  LeaseProvided: e(Code.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  TooManyOps: e(Code.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  DuplicateKey: e(Code.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  Compacted: e(Code.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  FutureRev: e(Code.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  NoSpace: e(Code.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),

  LeaseNotFound: e(Code.NOT_FOUND, 'etcdserver: requested lease not found'),
  LeaseExist: e(Code.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  LeaseTTLTooLarge: e(Code.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),

  WatchCanceled: e(Code.CANCELLED, 'etcdserver: watch canceled'),

  MemberExist: e(Code.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  PeerURLExist: e(Code.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  MemberNotEnoughStarted: e(
    Code.FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ),
  MemberBadURLs: e(Code.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  MemberNotFound: e(Code.NOT_FOUND, 'etcdserver: member not found'),
  MemberNotLearner: e(Code.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  LearnerNotReady: e(
    Code.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ),
  TooManyLearners: e(Code.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),

  // A call's context ended (grpc-go's status for Go's context errors, which etcd passes on).
  DeadlineExceeded: e(Code.DEADLINE_EXCEEDED, 'context deadline exceeded'),
  Canceled: e(Code.CANCELLED, 'context canceled'),

  RequestTooLarge: e(Code.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  TooManyRequests: e(Code.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),

  RootUserNotExist: e(Code.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  RootRoleNotExist: e(Code.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  UserAlreadyExist: e(Code.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  UserEmpty: e(Code.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  UserNotFound: e(Code.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  RoleAlreadyExist: e(Code.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  RoleNotFound: e(Code.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  RoleEmpty: e(Code.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  AuthFailed: e(Code.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  PermissionDenied: e(Code.PERMISSION_DENIED, 'etcdserver: permission denied'),
  RoleNotGranted: e(Code.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  PermissionNotGranted: e(Code.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  AuthNotEnabled: e(Code.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  InvalidAuthToken: e(Code.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  InvalidAuthMgmt: e(Code.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  AuthOldRevision: e(Code.INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),
  // etcd 3.4 has no gRPC status for this one: it reaches the client as an unknown error.
  NoPasswordUser: e(Code.UNKNOWN, 'auth: authentication failed, password was given for no password user'),

  NoLeader: e(Code.UNAVAILABLE, 'etcdserver: no leader'),
  NotLeader: e(Code.FAILED_PRECONDITION, 'etcdserver: not leader'),
  LeaderChanged: e(Code.UNAVAILABLE, 'etcdserver: leader changed'),
  NotCapable: e(Code.UNAVAILABLE, 'etcdserver: not capable'),
  Stopped: e(Code.UNAVAILABLE, 'etcdserver: server stopped'),
  Timeout: e(Code.UNAVAILABLE, 'etcdserver: request timed out'),
  TimeoutDueToLeaderFail: e(Code.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'),
  TimeoutDueToConnectionLost: e(Code.UNAVAILABLE, 'etcdserver: request timed out, possibly due to connection lost'),
  Unhealthy: e(Code.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  Corrupt: e(Code.DATA_LOSS, 'etcdserver: corrupt cluster'),
  NotSupportedForLearner: e(Code.UNAVAILABLE, 'etcdserver: rpc not supported for learner'),
  BadLeaderTransferee: e(Code.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  /** etcd has no gRPC mapping for it: it reaches the client as Unknown with this text. */
  TimeoutLeaderTransfer: e(Code.UNKNOWN, 'etcdserver: request timed out, leader transfer took too long'),
} as const
