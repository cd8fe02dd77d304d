package spnego

// Marshal encodes InitialContextToken{1.3.6.1.5.5.2, [0] NegTokenInit}
// in DER. With NegHints set it emits NegTokenInit2 ([MS-SPNG] 2.2.1),
// whose mechListMIC is [4]; otherwise mechListMIC is [3].
func (t *NegTokenInit) Marshal() ([]byte, error) {
	var seq []byte
	if len(t.MechTypes) > 0 {
		list, err := MechTypeList(t.MechTypes)
		if err != nil {
			return nil, err
		}
		seq = explicit(seq, 0, list)
	}
	if t.ReqFlags != nil {
		seq = explicit(seq, 1, appendTLV(nil, tagBitString, t.ReqFlags))
	}
	if t.MechToken != nil {
		seq = explicit(seq, 2, appendTLV(nil, tagOctetString, t.MechToken))
	}
	micTag := 3
	if t.NegHints != nil {
		seq = explicit(seq, 3, t.NegHints.marshal())
		micTag = 4
	}
	if t.MechListMIC != nil {
		seq = explicit(seq, micTag, appendTLV(nil, tagOctetString, t.MechListMIC))
	}
	inner, err := appendOID(nil, OIDSPNEGO)
	if err != nil {
		return nil, err
	}
	inner = explicit(inner, 0, appendTLV(nil, tagSequence, seq))
	return appendTLV(nil, tagApp0, inner), nil
}

// marshal encodes NegHints as a SEQUENCE.
func (h *NegHints) marshal() []byte {
	var seq []byte
	if h.HintName != nil {
		seq = explicit(seq, 0, appendTLV(nil, tagGeneralStr, h.HintName))
	}
	if h.HintAddress != nil {
		seq = explicit(seq, 1, appendTLV(nil, tagOctetString, h.HintAddress))
	}
	return appendTLV(nil, tagSequence, seq)
}

// Marshal encodes NegotiationToken [1] NegTokenResp in DER.
func (t *NegTokenResp) Marshal() ([]byte, error) {
	var seq []byte
	if t.NegState >= 0 {
		seq = explicit(seq, 0, appendTLV(nil, tagEnumerated, enumBytes(int(t.NegState))))
	}
	if t.SupportedMech != nil {
		oid, err := appendOID(nil, t.SupportedMech)
		if err != nil {
			return nil, err
		}
		seq = explicit(seq, 1, oid)
	}
	if t.ResponseToken != nil {
		seq = explicit(seq, 2, appendTLV(nil, tagOctetString, t.ResponseToken))
	}
	if t.MechListMIC != nil {
		seq = explicit(seq, 3, appendTLV(nil, tagOctetString, t.MechListMIC))
	}
	return explicit(nil, 1, appendTLV(nil, tagSequence, seq)), nil
}

// enumBytes is the minimal two's-complement encoding of a non-negative v.
func enumBytes(v int) []byte {
	b := []byte{byte(v)}
	for v >>= 8; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}
