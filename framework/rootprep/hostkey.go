// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// HostKey is an ssh host key in the files sshd reads.
type HostKey struct {
	// Private is the OpenSSH private key file.
	Private []byte
	// Public is the authorized_keys line of the .pub file.
	Public []byte
}

// GenerateHostKey makes a host key of kind rsa (3072 bits), ecdsa (P-256) or
// ed25519, as ssh-keygen -A does, with comment in the public key line.
func GenerateHostKey(kind, comment string) (HostKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch kind {
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return HostKey{}, fmt.Errorf("ssh host key type %q: osr makes rsa, ecdsa and ed25519 keys", kind)
	}
	if err != nil {
		return HostKey{}, fmt.Errorf("generate %s key: %w", kind, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return HostKey{}, fmt.Errorf("encode %s key: %w", kind, err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return HostKey{}, fmt.Errorf("encode %s public key: %w", kind, err)
	}
	line := ssh.MarshalAuthorizedKey(pub) // ends in "\n"
	line = append(line[:len(line)-1], []byte(" "+comment+"\n")...)
	return HostKey{Private: pem.EncodeToMemory(block), Public: line}, nil
}
