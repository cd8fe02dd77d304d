#!/usr/bin/python3
"""Authenticated impacket client for rpc's NTLM interop tests.

Usage: impacket_ntlm.py PORT IFACE IFACE2 USER PASSWORD NTHASH LEVEL AUTHTYPE MODE

  LEVEL     connect | integrity | privacy
  AUTHTYPE  ntlm (RPC_C_AUTHN_WINNT) | spnego (RPC_C_AUTHN_GSS_NEGOTIATE)
  NTHASH    hex NT hash to authenticate with instead of PASSWORD, or '-'
  MODE      echo:  bind IFACE, echo stubs of several sizes, some fragmented
            alter: echo, then dce.alter_ctx(IFACE2) (a second security
                   context on the same connection), echo on both, interleaved

Domain is always EXAMPLE. Output lines the Go test reads:
  echo <ctx> <size> <maxfrag>   one per successful echo
  error <text>                  on failure
Exit codes: 0 ok, 2 echo mismatch, 3 access denied (fault or bind refusal),
4 other DCE/RPC error, 5 any other error, 64 bad usage.
"""
import sys

from impacket.dcerpc.v5 import transport
from impacket.dcerpc.v5.rpcrt import (DCERPCException, RPC_C_AUTHN_GSS_NEGOTIATE,
                                      RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT)
from impacket.uuid import uuidtup_to_bin

EXIT_OK, EXIT_MISMATCH, EXIT_DENIED, EXIT_RPC, EXIT_OTHER, EXIT_USAGE = 0, 2, 3, 4, 5, 64
ECHO_OPNUM = 0
LEVELS = {
    'connect': RPC_C_AUTHN_LEVEL_CONNECT,
    'integrity': RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
    'privacy': RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
}
TYPES = {'ntlm': RPC_C_AUTHN_WINNT, 'spnego': RPC_C_AUTHN_GSS_NEGOTIATE}


def pattern(n, seed):
    return bytes(((i * 13) ^ seed ^ (i >> 8)) & 0xFF for i in range(n))


def echo(dce, name, sizes, seed):
    for n in sizes:
        stub = pattern(n, seed)
        dce.call(ECHO_OPNUM, stub)
        got = dce.recv()
        if got != stub:
            print('error %s echo mismatch: sent %d bytes, got %d' % (name, n, len(got)))
            sys.exit(EXIT_MISMATCH)
        print('echo %s %d' % (name, n))
        sys.stdout.flush()


def main(argv):
    if len(argv) != 10:
        print(__doc__)
        return EXIT_USAGE
    port, iface, iface2, user, password, nthash, level, authtype, mode = argv[1:]
    if level not in LEVELS or authtype not in TYPES or mode not in ('echo', 'alter'):
        print(__doc__)
        return EXIT_USAGE
    rpctransport = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%s]' % port)
    if nthash != '-':
        rpctransport.set_credentials(user, '', 'EXAMPLE', '', nthash)
    else:
        rpctransport.set_credentials(user, password, 'EXAMPLE', '', '')
    dce = rpctransport.get_dce_rpc()
    dce.set_auth_type(TYPES[authtype])
    dce.set_auth_level(LEVELS[level])
    try:
        dce.connect()
        dce.bind(uuidtup_to_bin((iface, '1.0')))
        print('bound')
        sys.stdout.flush()
        echo(dce, 'first', (0, 5, 64, 333, 4000), 1)
        dce.set_max_fragment_size(1024)
        echo(dce, 'first', (3000,), 2)
        if mode == 'alter':
            dce2 = dce.alter_ctx(uuidtup_to_bin((iface2, '1.0')))
            print('altered')
            sys.stdout.flush()
            echo(dce2, 'second', (7, 2000), 3)
            echo(dce, 'first', (100,), 4)
            echo(dce2, 'second', (100,), 5)
        dce.disconnect()
    except DCERPCException as e:
        text = str(e)
        print('error %s' % text)
        if 'access_denied' in text or getattr(e, 'error_code', None) == 5:
            return EXIT_DENIED
        return EXIT_RPC
    except Exception as e:  # noqa: BLE001 - report anything else distinctly
        print('error %s: %s' % (type(e).__name__, e))
        return EXIT_OTHER
    return EXIT_OK


if __name__ == '__main__':
    sys.exit(main(sys.argv))
