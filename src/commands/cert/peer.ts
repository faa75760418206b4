import Gencert from './gencert.js'

export default class Peer extends Gencert {
  static override summary =
    'Make a peer certificate for member-to-member traffic (usages: signing, key encipherment, server auth, client auth)'
  static override description =
    'Signs with the "peer" profile (of --config when given, else the built-in one) and writes peer.pem, peer-key.pem (mode 0600) and peer.csr unless --bare names them otherwise. Takes a cfssl CSR JSON file and cfssl\'s -ca=, -ca-key=, -config=, -profile= options.'
  static override args = Gencert.args
  static override flags = Gencert.flags
  static override defaultProfile = 'peer'
  static override examples = [
    '<%= config.bin %> <%= command.id %> -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=peer etcd.json',
    '<%= config.bin %> <%= command.id %> --cn infra1 --hosts 10.0.0.1,127.0.0.1,localhost --out-dir certs',
  ]
}
