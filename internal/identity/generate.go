package identity

import (
	"crypto/rand"
	"math/big"
)

// passwordAlphabet leaves out characters people confuse when they read a
// printed password aloud or type it (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random 20-character password (about 116 bits)
// for first sign-ins and resets; the CLI prints it once.
func GeneratePassword() string {
	b := make([]byte, 20)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("identity: no randomness: " + err.Error())
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	return string(b)
}
