//go:build !linux

package vfs

import "os"

func renameBetween(*os.File, string, *os.File, string) error { return errPlaceUnsupported }
