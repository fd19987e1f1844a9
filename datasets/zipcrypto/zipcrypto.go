// Package zipcrypto reads zip members encrypted with the traditional PKWARE
// ("ZipCrypto") stream cipher, which archive/zip lists but cannot decrypt.
// GPQA's authors distribute their dataset that way (a public password keeps
// the questions out of web crawls). The cipher is described in PKWARE's
// APPNOTE.TXT, section "Traditional PKWARE Decryption"; it is weak and is
// implemented here only to read such archives, never to protect anything.
package zipcrypto

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// headerLen is the length of the encryption header that precedes the data.
const headerLen = 12

// ErrPassword is returned when the encryption header's check byte does not
// match: almost always a wrong password (the check is one byte, so one wrong
// password in 256 passes it and fails the CRC instead).
var ErrPassword = errors.New("zipcrypto: wrong password")

// keys is the cipher's state: three 32-bit keys updated per plaintext byte.
type keys struct{ k0, k1, k2 uint32 }

func newKeys(password []byte) *keys {
	k := &keys{0x12345678, 0x23456789, 0x34567890}
	for _, c := range password {
		k.update(c)
	}
	return k
}

// crc32Byte is APPNOTE's crc32(crc, b): one step of the IEEE table CRC
// without the pre- and post-inversion of a whole-message CRC.
func crc32Byte(crc uint32, b byte) uint32 {
	return (crc >> 8) ^ crc32.IEEETable[byte(crc)^b]
}

func (k *keys) update(c byte) {
	k.k0 = crc32Byte(k.k0, c)
	k.k1 = (k.k1+(k.k0&0xff))*134775813 + 1
	k.k2 = crc32Byte(k.k2, byte(k.k1>>24))
}

func (k *keys) streamByte() byte {
	t := uint16(k.k2 | 2)
	return byte((uint32(t) * uint32(t^1)) >> 8)
}

func (k *keys) decrypt(p []byte) {
	for i, c := range p {
		c ^= k.streamByte()
		k.update(c)
		p[i] = c
	}
}

// reader decrypts a ciphertext stream after its header.
type reader struct {
	r io.Reader
	k *keys
}

func (d *reader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.k.decrypt(p[:n])
	return n, err
}

// NewReader returns the plaintext of an encrypted member's data r (the
// 12-byte encryption header followed by the compressed data, as
// zip.File.OpenRaw returns it). check is the byte the header's last byte
// must decrypt to: the high byte of the member's CRC-32, or of its DOS
// modification time when the member uses a data descriptor (flag bit 3).
func NewReader(r io.Reader, password []byte, check byte) (io.Reader, error) {
	k := newKeys(password)
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("zipcrypto: reading the encryption header: %w", err)
	}
	k.decrypt(hdr[:])
	if hdr[headerLen-1] != check {
		return nil, ErrPassword
	}
	return &reader{r: r, k: k}, nil
}

// ReadFile returns the contents of member f, decrypting it with password
// when it is encrypted, inflating it, and verifying its CRC-32. Stored and
// deflated members are supported (the methods ZipCrypto archives use).
func ReadFile(f *zip.File, password []byte) ([]byte, error) {
	if f.Flags&0x1 == 0 {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		return b, nil
	}
	if f.Flags&0x40 != 0 {
		return nil, fmt.Errorf("%s: strong encryption is not supported (only traditional PKWARE encryption)", f.Name)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	check := byte(f.CRC32 >> 24)
	if f.Flags&0x8 != 0 {
		check = byte(f.ModifiedTime >> 8)
	}
	plain, err := NewReader(raw, password, check)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	var data io.Reader
	switch f.Method {
	case zip.Store:
		data = plain
	case zip.Deflate:
		fr := flate.NewReader(plain)
		defer fr.Close()
		data = fr
	default:
		return nil, fmt.Errorf("%s: compression method %d is not supported", f.Name, f.Method)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(data, int64(f.UncompressedSize64)+1)); err != nil {
		return nil, fmt.Errorf("%s: %w (wrong password?)", f.Name, err)
	}
	if uint64(buf.Len()) != f.UncompressedSize64 {
		return nil, fmt.Errorf("%s: %d bytes, the directory says %d (wrong password?)", f.Name, buf.Len(), f.UncompressedSize64)
	}
	if got := crc32.ChecksumIEEE(buf.Bytes()); got != f.CRC32 {
		return nil, fmt.Errorf("%s: CRC-32 %08x, want %08x (wrong password?)", f.Name, got, f.CRC32)
	}
	return buf.Bytes(), nil
}
