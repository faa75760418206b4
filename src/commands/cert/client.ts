import Gencert from './gencert.js'

export default class Client extends Gencert {
  static override summary =
    'Make a client certificate for etcdctl and applications (usages: signing, key encipherment, client auth)'
  static override description =
    'Signs with the "client" profile (of --config when given, else the built-in one) and writes client.pem, client-key.pem (mode 0600) and client.csr unless --bare names them otherwise. Takes a cfssl CSR JSON file and cfssl\'s -ca=, -ca-key=, -config=, -profile= options.'
  static override args = Gencert.args
  static override flags = Gencert.flags
  static override defaultProfile = 'client'
  static override examples = [
    '<%= config.bin %> <%= command.id %> -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=client client.json',
    '<%= config.bin %> <%= command.id %> --cn client --out-dir certs',
  ]
}
