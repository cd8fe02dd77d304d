#!/usr/bin/python3
"""An [MS-IISS] test client built on impacket (our own code, written from
the specification; impacket is only called, never copied).

It activates IIisServiceControl through impacket's DCOMConnection
(IRemoteSCMActivator::RemoteCreateInstance, then the object exporter's
string binding), runs the operations given on the command line and prints
one JSON line per operation:

  {"op": "...", "hresult": 0, ...decoded outputs...}

An operation that fails with an RPC fault or an HRESULT carries "hresult"
(the fault status or the returned HRESULT, as an unsigned 32-bit value) and
"error" (impacket's message). Activation prints an "activate" line too, so a
refused activation is visible. The last line is {"op": "done"} when the
script finished on its own.

Operations:
  status[:SIZE]         IIisServiceControl::Status (opnum 10), dwBufferSize
                        SIZE (default 4096); the STATUS_BLOB is decoded here
  stop[:MS[:FORCE]]     Stop (opnum 7)
  start[:MS]            Start (opnum 8)
  reboot[:MS[:FORCE]]   Reboot (opnum 9)
  kill                  Kill (opnum 11)
  names:N1,N2,...       IDispatch::GetIDsOfNames (opnum 5), one call and
                        one line per name
  invoke:NAME[:A1...]   IDispatch::GetIDsOfNames + Invoke (opnum 6) with
                        DISPATCH_METHOD and VT_I4 arguments A1... (sent
                        reversed, as [MS-OAUT] 3.1.4.4 requires)

IDispatch calls go to the IIisServiceControl IPID over an IDispatch
context that impacket adds with alter_context (a fresh NTLM exchange).

With --activation classobject the object comes the way .NET and
PowerShell get it (CoGetClassObject): impacket's
IRemoteSCMActivator::RemoteGetClassObject for IClassFactory, a
RemQueryInterface for IClassFactory2 (reported as "qi_classfactory2"),
then IClassFactory::CreateInstance (opnum 3: ORPCTHIS and riid, the
call_as form) once for IIisServiceControl and once for IDispatch
("create" lines), and RemRelease of the class object ("release_factory").
IDispatch calls then go to the IDispatch instance.

The whole run is bounded by --timeout; dcom.disconnect() always runs so
that impacket's ping timer thread and its class-level connection tables do
not outlive the run.
"""

import argparse
import json
import os
import re
import struct
import sys
import threading
import traceback

from impacket import hresult_errors
from impacket.dcerpc.v5 import transport
from impacket.dcerpc.v5.dcom import oaut
from impacket.dcerpc.v5.dcomrt import (DCOMConnection, ORPCTHAT, ORPCTHIS, IID, INTERFACE,
                                       IID_IClassFactory, IRemoteSCMActivator, IRemUnknown2,
                                       PMInterfacePointer)
from impacket.dcerpc.v5.dtypes import DWORD, NULL
from impacket.dcerpc.v5.ndr import NDRCALL, NDRUniConformantArray
from impacket.dcerpc.v5.rpcrt import (DCERPCException, RPC_C_AUTHN_LEVEL_CONNECT,
                                      RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY, rpc_status_codes)
from impacket.uuid import string_to_bin

# [MS-IISS] 1.9
CLSID_IISSERVICECONTROL = string_to_bin('E8FB8621-588F-11D2-9D61-00C04F79C5FE')
IID_IIISSERVICECONTROL = string_to_bin('E8FB8620-588F-11D2-9D61-00C04F79C5FE')
IID_NULL = string_to_bin('00000000-0000-0000-0000-000000000000')

LEVELS = {
    'connect': RPC_C_AUTHN_LEVEL_CONNECT,
    'integrity': RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
    'privacy': RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
}

DISPATCH_METHOD = 1
VT_I4 = 3


class DCERPCSessionError(DCERPCException):
    """impacket's request() looks this name up in the request's module when
    a response ends with a non-zero HRESULT."""

    def __str__(self):
        return 'IISS SessionError: code 0x%08x' % ((self.error_code or 0) & 0xffffffff)


# [MS-IISS] 3.1.4: the methods after IDispatch's seven. Every request starts
# with ORPCTHIS and every response with ORPCTHAT ([MS-DCOM] 2.2.13);
# INTERFACE.request fills ORPCthis in.
class Stop(NDRCALL):
    opnum = 7
    structure = (('ORPCthis', ORPCTHIS), ('dwTimeoutMsecs', DWORD), ('dwForce', DWORD))


class StopResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('ErrorCode', DWORD))


class Start(NDRCALL):
    opnum = 8
    structure = (('ORPCthis', ORPCTHIS), ('dwTimeoutMsecs', DWORD))


class StartResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('ErrorCode', DWORD))


class Reboot(NDRCALL):
    opnum = 9
    structure = (('ORPCthis', ORPCTHIS), ('dwTimeoutMsecs', DWORD), ('dwForce', DWORD))


class RebootResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('ErrorCode', DWORD))


class BYTE_BUFFER(NDRUniConformantArray):
    item = 'B'


class Status(NDRCALL):
    opnum = 10
    structure = (('ORPCthis', ORPCTHIS), ('dwBufferSize', DWORD))


class StatusResponse(NDRCALL):
    # [out, size_is(dwBufferSize)] unsigned char pbBuffer[], [out] DWORD
    # *pdwMDRequiredBufferSize, [out] DWORD *pdwNumServices, HRESULT.
    structure = (('ORPCthat', ORPCTHAT), ('pbBuffer', BYTE_BUFFER),
                 ('pdwMDRequiredBufferSize', DWORD), ('pdwNumServices', DWORD),
                 ('ErrorCode', DWORD))


class Kill(NDRCALL):
    opnum = 11
    structure = (('ORPCthis', ORPCTHIS),)


class KillResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('ErrorCode', DWORD))


STATE_NAMES = {1: 'stopped', 2: 'start-pending', 3: 'stop-pending', 4: 'running',
               5: 'continue-pending', 6: 'pause-pending', 7: 'paused'}


def utf16z(blob, wchar_offset):
    """The NUL-terminated UTF-16LE string at a WCHAR offset, bounds-checked."""
    start = wchar_offset * 2
    if start < 0 or start >= len(blob) or start % 2:
        raise ValueError('string offset %d out of the %d-byte blob' % (wchar_offset, len(blob)))
    end = start
    while True:
        if end + 2 > len(blob):
            raise ValueError('unterminated string at WCHAR offset %d' % wchar_offset)
        if blob[end:end + 2] == b'\x00\x00':
            break
        end += 2
    return blob[start:end].decode('utf-16-le')


def parse_status_blob(blob, count):
    """[MS-IISS] 2.2.2 STATUS_BLOB: count 36-byte SERVICE_STATUS_INFO entries
    ({iServiceName, iDisplayName} in WCHARs, then SCMR's SERVICE_STATUS,
    seven DWORDs), then the strings."""
    if 36 * count > len(blob):
        raise ValueError('%d entries do not fit %d bytes' % (count, len(blob)))
    out = []
    for i in range(count):
        fields = struct.unpack_from('<9L', blob, 36 * i)
        name_off, display_off = fields[0], fields[1]
        svc_type, state, accepted, win32, specific, checkpoint, wait = fields[2:]
        out.append({
            'name': utf16z(blob, name_off),
            'display': utf16z(blob, display_off),
            'name_offset': name_off,
            'type': svc_type,
            'state': state,
            'state_name': STATE_NAMES.get(state, str(state)),
            'controls_accepted': accepted,
            'win32_exit': win32,
            'specific_exit': specific,
            'checkpoint': checkpoint,
            'wait_hint': wait,
        })
    return out


def emit(rec):
    sys.stdout.write(json.dumps(rec, sort_keys=True) + '\n')
    sys.stdout.flush()


def call(obj, req, iid):
    """Sends req through INTERFACE.request (which adds ORPCTHIS and binds or
    alters the context to iid on the exporter connection). Returns
    (hresult, response or None, error string or None)."""
    try:
        resp = obj.request(req, iid, obj.get_iPid())
        return resp['ErrorCode'] & 0xffffffff, resp, None
    except DCERPCException as e:
        return error_code(e), e.get_packet(), str(e)


def result(op, hr, err, **kw):
    rec = {'op': op, 'hresult': hr, 'hresult_hex': '0x%08x' % hr}
    if err is not None:
        rec['error'] = err
    rec.update(kw)
    emit(rec)


def do_status(obj, size):
    req = Status()
    req['dwBufferSize'] = size
    hr, resp, err = call(obj, req, IID_IIISSERVICECONTROL)
    kw = {'buffer_size': size}
    if resp is not None:
        buf = bytes(resp['pbBuffer'])
        kw['returned_bytes'] = len(buf)
        kw['required'] = resp['pdwMDRequiredBufferSize']
        kw['num_services'] = resp['pdwNumServices']
        kw['all_zero'] = not any(buf)
        if hr == 0:
            kw['services'] = parse_status_blob(buf[:kw['required']], kw['num_services'])
    result('status', hr, err, **kw)


def do_simple(obj, op, req):
    hr, _, err = call(obj, req, IID_IIISSERVICECONTROL)
    result(op, hr, err)


class Invoke(oaut.IDispatch_Invoke):
    """IDispatch::Invoke, opnum 6, as impacket declares it; only the
    response differs."""


class InvokeResponse(NDRCALL):
    # [MS-OAUT] 3.1.4.4: the [in, out] rgVarRef array (size_is(cVarRef))
    # comes back before the HRESULT; impacket's IDispatch_InvokeResponse
    # leaves it out and so reads its conformance as the HRESULT.
    structure = (('ORPCthat', ORPCTHAT), ('pVarResult', oaut.VARIANT),
                 ('pExcepInfo', oaut.EXCEPINFO), ('pArgErr', DWORD),
                 ('rgVarRef', oaut.VARIANT_ARRAY), ('ErrorCode', DWORD))


def get_ids(disp, names):
    req = oaut.IDispatch_GetIDsOfNames()
    req['riid'] = IID_NULL
    for n in names:
        s = oaut.LPOLESTR()
        s['Data'] = n + '\x00'
        req['rgszNames'].append(s)
    req['cNames'] = len(names)
    req['lcid'] = 0
    hr, resp, err = call(disp, req, oaut.IID_IDispatch)
    ids = [i & 0xffffffff for i in resp['rgDispId']] if resp is not None else []
    return hr, ids, err


def i4(value):
    v = oaut.VARIANT()
    v['clSize'] = 3  # 16-byte header + discriminant + LONG, in 8-byte units
    v['rpcReserved'] = 0
    v['vt'] = VT_I4
    v['wReserved1'] = 0
    v['wReserved2'] = 0
    v['wReserved3'] = 0
    v['_varUnion']['tag'] = VT_I4
    v['_varUnion']['lVal'] = value
    return v


def do_invoke(disp, name, args):
    hr, ids, err = get_ids(disp, [name])
    if hr != 0:
        result('invoke', hr, err, name=name, stage='GetIDsOfNames')
        return
    params = oaut.DISPPARAMS(None, False)
    # [MS-OAUT] 3.1.4.4.2: the last argument comes first.
    for a in reversed(args):
        params['rgvarg'].append(i4(a))
    params['rgdispidNamedArgs'] = NULL
    params['cArgs'] = len(args)
    params['cNamedArgs'] = 0
    req = Invoke()
    req['dispIdMember'] = ids[0]
    req['riid'] = IID_NULL
    req['lcid'] = 0
    req['dwFlags'] = DISPATCH_METHOD
    req['pDispParams'] = params
    req['cVarRef'] = 0
    hr, resp, err = call(disp, req, oaut.IID_IDispatch)
    kw = {'name': name, 'dispid': ids[0], 'args': args}
    if resp is not None:
        kw['arg_err'] = resp['pArgErr']
        kw['excep_scode'] = resp['pExcepInfo']['scode'] & 0xffffffff
        kw['result_vt'] = resp['pVarResult']['vt']
    result('invoke', hr, err, **kw)


class ClassFactoryCreateInstance(NDRCALL):
    """IClassFactory::RemoteCreateInstance (objidl.idl call_as form)."""
    opnum = 3
    structure = (('ORPCthis', ORPCTHIS), ('riid', IID))


class ClassFactoryCreateInstanceResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('ppvObject', PMInterfacePointer), ('ErrorCode', DWORD))


IID_IDISPATCH = string_to_bin('00020400-0000-0000-C000-000000000046')
IID_ICLASSFACTORY2 = string_to_bin('B196B28F-BAB4-101A-B69C-00AA00341D07')


def create_instance(factory, iid, what):
    """CreateInstance on the class object; returns an INTERFACE or None."""
    req = ClassFactoryCreateInstance()
    req['ORPCthis'] = factory.get_cinstance().get_ORPCthis()
    req['ORPCthis']['flags'] = 0
    req['riid'] = iid
    hr, resp, err = call(factory, req, IID_IClassFactory)
    if err is not None or hr != 0:
        emit({'op': 'create', 'name': what, 'hresult': hr, 'error': err})
        return None
    ref = b''.join(resp['ppvObject']['abData'])
    obj = INTERFACE(factory.get_cinstance(), ref, factory.get_ipidRemUnknown(), target=factory.get_target())
    emit({'op': 'create', 'name': what, 'hresult': 0, 'ipid': obj.get_iPid().hex(), 'oid': obj.get_oid()})
    return obj


def activate_classobject(dcom):
    """The CoGetClassObject road; returns (IIisServiceControl, IDispatch)."""
    factory = IRemoteSCMActivator(dcom.get_dce_rpc()).RemoteGetClassObject(CLSID_IISSERVICECONTROL, IID_IClassFactory)
    dcom.initTimer()
    emit({'op': 'activate', 'hresult': 0, 'ipid': factory.get_iPid().hex(), 'oid': factory.get_oid(),
          'bindings': [b['aNetworkAddr'].rstrip('\x00') for b in factory.get_cinstance().get_string_bindings()]})
    try:
        factory.RemQueryInterface(1, [IID_ICLASSFACTORY2])
        emit({'op': 'qi_classfactory2', 'hresult': 0})
    except Exception as e:
        emit({'op': 'qi_classfactory2', 'hresult': error_code(e), 'error': str(e)})
    obj = create_instance(factory, IID_IIISSERVICECONTROL, 'IIisServiceControl')
    disp = create_instance(factory, IID_IDISPATCH, 'IDispatch')
    try:
        IRemUnknown2(factory).RemRelease()
        emit({'op': 'release_factory', 'hresult': 0})
    except Exception as e:
        emit({'op': 'release_factory', 'hresult': error_code(e), 'error': str(e)})
    return obj, disp


def run(a, ops):
    dcom = None
    try:
        dcom = DCOMConnection(a.target, a.user, a.password, a.domain, '', a.nthash,
                              oxidResolver=True, authLevel=LEVELS[a.auth_level],
                              doKerberos=a.kerberos, kdcHost=a.kdc_host or None)
    except Exception as e:
        emit({'op': 'connect', 'error': str(e), 'hresult': error_code(e)})
        return
    try:
        dispobj = None
        try:
            if a.activation == 'classobject':
                obj, dispobj = activate_classobject(dcom)
                if obj is None or dispobj is None:
                    return
            else:
                obj = dcom.CoCreateInstanceEx(CLSID_IISSERVICECONTROL, IID_IIISSERVICECONTROL)
        except Exception as e:
            emit({'op': 'activate', 'error': str(e), 'hresult': error_code(e)})
            return
        if a.object_level:
            # impacket calls the exporter at the server's authnHint; this
            # overrides it to check that the exporter enforces its minimum.
            obj.get_cinstance().set_auth_level(LEVELS[a.object_level])
        if dispobj is None:
            emit({'op': 'activate', 'hresult': 0, 'ipid': obj.get_iPid().hex(),
                  'oxid': obj.get_oxid(), 'oid': obj.get_oid(),
                  'bindings': [b['aNetworkAddr'].rstrip('\x00') for b in obj.get_cinstance().get_string_bindings()]})
        disp = oaut.IDispatch(dispobj if dispobj is not None else obj)
        for op in ops:
            name, _, rest = op.partition(':')
            params = rest.split(':') if rest else []
            try:
                if name == 'status':
                    do_status(obj, int(params[0]) if params else 4096)
                elif name == 'stop':
                    req = Stop()
                    req['dwTimeoutMsecs'] = int(params[0]) if params else 20000
                    req['dwForce'] = int(params[1]) if len(params) > 1 else 1
                    do_simple(obj, 'stop', req)
                elif name == 'start':
                    req = Start()
                    req['dwTimeoutMsecs'] = int(params[0]) if params else 20000
                    do_simple(obj, 'start', req)
                elif name == 'reboot':
                    req = Reboot()
                    req['dwTimeoutMsecs'] = int(params[0]) if params else 20000
                    req['dwForce'] = int(params[1]) if len(params) > 1 else 1
                    do_simple(obj, 'reboot', req)
                elif name == 'kill':
                    do_simple(obj, 'kill', Kill())
                elif name == 'names':
                    # One call per name: further names in one call would be
                    # the first member's parameter names ([MS-OAUT] 3.1.4.3).
                    for n in rest.split(','):
                        hr, ids, err = get_ids(disp, [n])
                        result('names', hr, err, name=n, dispids=ids)
                elif name == 'invoke':
                    do_invoke(disp, params[0], [int(x) for x in params[1:]])
                else:
                    emit({'op': name, 'error': 'unknown operation'})
            except Exception as e:
                emit({'op': name, 'error': str(e), 'hresult': error_code(e),
                      'traceback': traceback.format_exc()})
    finally:
        try:
            dcom.disconnect()
        except Exception as e:
            emit({'op': 'disconnect', 'error': str(e)})


def error_code(e):
    """The HRESULT or fault status behind an impacket exception. impacket
    reports the status of a fault PDU on a sealed connection by name
    only, so names are mapped back to codes."""
    code = getattr(e, 'error_code', None)
    if isinstance(code, int):
        return code & 0xffffffff
    msg = getattr(e, 'error_string', None) or str(e)
    for c, name in rpc_status_codes.items():
        if name == msg:
            return c
    short = msg.split(' - ')[0]
    for c, texts in hresult_errors.ERROR_MESSAGES.items():
        if texts[0] == short:
            return c
    m = re.search(r'fault status code: ([0-9a-f]{8})', msg)
    return int(m.group(1), 16) if m else None


def patch_port(target, port):
    """DCOMConnection dials ncacn_ip_tcp:TARGET, i.e. port 135. For a test
    activator elsewhere, set the port on exactly that string binding; the
    exporter's bindings carry their own port ("host[port]")."""
    orig = transport.DCERPCTransportFactory

    def factory(binding):
        t = orig(binding)
        if binding == 'ncacn_ip_tcp:' + target:
            t.set_dport(port)
        return t
    transport.DCERPCTransportFactory = factory


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--target', required=True)
    p.add_argument('--port', type=int, default=135)
    p.add_argument('--user', required=True)
    p.add_argument('--password', default='')
    p.add_argument('--nthash', default='', help='hex NT hash (used instead of the password)')
    p.add_argument('--domain', default='')
    p.add_argument('--kerberos', action='store_true',
                   help='Kerberos (impacket: SPNEGO, SPN host/TARGET) with tickets from --kdc-host')
    p.add_argument('--kdc-host', default='')
    p.add_argument('--auth-level', choices=sorted(LEVELS), default='privacy')
    p.add_argument('--object-level', choices=sorted(LEVELS), default='')
    p.add_argument('--timeout', type=float, default=40)
    p.add_argument('--activation', choices=['instance', 'classobject'], default='instance')
    p.add_argument('ops', nargs='*')
    a = p.parse_args()
    if a.port != 135:
        patch_port(a.target, a.port)

    def guarded():
        try:
            run(a, a.ops)
        except Exception as e:
            emit({'op': 'exception', 'error': str(e), 'traceback': traceback.format_exc()})

    th = threading.Thread(target=guarded, daemon=True)
    th.start()
    th.join(a.timeout)
    if th.is_alive():
        emit({'op': 'timeout', 'error': 'no result within %gs' % a.timeout})
        sys.stdout.flush()
        os._exit(2)  # impacket's threads must not keep us alive
    emit({'op': 'done'})
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
