package ntlm

// rc4State is RC4 with a byte-wide state: 258 bytes where crypto/rc4
// keeps 1 KiB. A session holds two, for as long as its connection lives
// (thousands of idle DCOM connections on a server), and Verify and
// Unseal copy the incoming one to restore it on failure (3.4.7).
type rc4State struct {
	s    [256]byte
	i, j uint8
}

// reset keys the state (the key-scheduling algorithm); key is 1..256 bytes.
func (c *rc4State) reset(key []byte) {
	for i := range c.s {
		c.s[i] = byte(i)
	}
	var j uint8
	for i := range c.s {
		j += c.s[i] + key[i%len(key)]
		c.s[i], c.s[j] = c.s[j], c.s[i]
	}
	c.i, c.j = 0, 0
}

// XORKeyStream XORs src with the key stream into dst (which may be src).
func (c *rc4State) XORKeyStream(dst, src []byte) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	i, j := c.i, c.j
	for k, v := range src {
		i++
		x := c.s[i]
		j += x
		y := c.s[j]
		c.s[i], c.s[j] = y, x
		dst[k] = v ^ c.s[x+y]
	}
	c.i, c.j = i, j
}
