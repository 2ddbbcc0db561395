package identity

import (
	"crypto/rand"
	"math/big"
)

// passwordAlphabet leaves out characters people confuse when they read a
// printed password aloud or type it (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// generatedPasswordLen is the length of generated passwords: 20 characters
// of a 56-letter alphabet is about 116 bits.
const generatedPasswordLen = 20

// GeneratePassword returns a random 20-character password (about 116 bits)
// for first sign-ins and resets; the CLI prints it once.
func GeneratePassword() string {
	return generatePassword(generatedPasswordLen)
}

// generatePassword returns n characters drawn uniformly from
// passwordAlphabet with crypto/rand.
func generatePassword(n int) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic("identity: no randomness: " + err.Error())
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b)
}
