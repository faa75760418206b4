import Gencert from './gencert.js'

export default class Server extends Gencert {
  static override summary =
    'Make a server certificate for the client port (usages: signing, key encipherment, server auth, client auth)'
  static override description =
    'Signs with the "server" profile (of --config when given, else the built-in one) and writes server.pem, server-key.pem (mode 0600) and server.csr unless --bare names them otherwise. Takes a cfssl CSR JSON file and cfssl\'s -ca=, -ca-key=, -config=, -profile= options.'
  static override args = Gencert.args
  static override flags = Gencert.flags
  static override defaultProfile = 'server'
  static override examples = [
    '<%= config.bin %> <%= command.id %> -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=server etcd.json',
    '<%= config.bin %> <%= command.id %> --cn infra1 --hosts 10.0.0.1,127.0.0.1,localhost --out-dir certs',
  ]
}
