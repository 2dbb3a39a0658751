package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig learns GIF: Telegram reports photo sizes
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// storedFile is media the sandbox holds: files simulated contacts send,
// and files the app uploads to Telegram (so getFile works on them too).
type storedFile struct {
	ID          string // media id in /media/{id} and Twilio media URLs
	FileID      string // Telegram file_id
	UniqueID    string // Telegram file_unique_id
	Path        string // Telegram file_path
	Name        string
	ContentType string
	Data        []byte
	Width       int
	Height      int
	At          time.Time
}

// fileStore keeps files up to a byte budget, evicting the oldest first.
type fileStore struct {
	mu     sync.Mutex
	byKey  map[string]*storedFile
	order  []*storedFile
	bytes  int64
	budget int64
	seq    int64
}

func newFileStore(budget int64) *fileStore {
	return &fileStore{byKey: make(map[string]*storedFile), budget: budget}
}

// put stores f, giving it a Telegram file path under dir, and reports
// false when f alone exceeds the budget.
func (fs *fileStore) put(f *storedFile, dir string) bool {
	size := int64(len(f.Data))
	if size > fs.budget {
		return false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for fs.bytes+size > fs.budget && len(fs.order) > 0 {
		old := fs.order[0]
		fs.order[0] = nil
		fs.order = fs.order[1:]
		fs.bytes -= int64(len(old.Data))
		delete(fs.byKey, "id:"+old.ID)
		delete(fs.byKey, "fid:"+old.FileID)
		delete(fs.byKey, "path:"+old.Path)
	}
	fs.seq++
	f.Path = fmt.Sprintf("%s/file_%d%s", dir, fs.seq, extensionFor(f.Name, f.ContentType))
	fs.order = append(fs.order, f)
	fs.bytes += size
	fs.byKey["id:"+f.ID] = f
	fs.byKey["fid:"+f.FileID] = f
	fs.byKey["path:"+f.Path] = f
	return true
}

// alias makes another Telegram file_id (a smaller photo size) name f.
func (fs *fileStore) alias(fileID string, f *storedFile) {
	fs.mu.Lock()
	fs.byKey["fid:"+fileID] = f
	fs.mu.Unlock()
}

func (fs *fileStore) byID(id string) *storedFile     { return fs.get("id:" + id) }
func (fs *fileStore) byFileID(id string) *storedFile { return fs.get("fid:" + id) }
func (fs *fileStore) byPath(p string) *storedFile    { return fs.get("path:" + p) }

func (fs *fileStore) get(key string) *storedFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byKey[key]
}

func (fs *fileStore) size() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.bytes
}

// newStoredFile builds a file with fresh ids; the content type is sniffed
// when not given.
func newStoredFile(name, contentType string, data []byte, now time.Time) *storedFile {
	if contentType == "" || contentType == "application/octet-stream" {
		if byExt := mime.TypeByExtension(path.Ext(name)); byExt != "" {
			contentType = byExt
		} else {
			contentType = http.DetectContentType(data)
		}
	}
	f := &storedFile{
		ID:          "ME" + randomHex(16),
		FileID:      telegramFileID(),
		UniqueID:    "AQAD" + randomB64(9),
		Name:        name,
		ContentType: contentType,
		Data:        data,
		At:          now,
	}
	if strings.HasPrefix(contentType, "image/") {
		if c, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			f.Width, f.Height = c.Width, c.Height
		}
	}
	return f
}

// serveMedia answers GET /media/{id}: what Instagram's CDN links point at.
func (s *Sandbox) serveMedia(w http.ResponseWriter, r *http.Request) {
	f := s.files.byID(r.PathValue("id"))
	if f == nil {
		http.NotFound(w, r)
		return
	}
	writeFile(w, r, f)
}

func writeFile(w http.ResponseWriter, r *http.Request, f *storedFile) {
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if f.Name != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Name}))
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.Data)
}

// extensionFor picks a file extension for a Telegram file path.
func extensionFor(name, contentType string) string {
	if ext := path.Ext(name); ext != "" && len(ext) <= 6 {
		return strings.ToLower(ext)
	}
	switch contentType {
	case "image/jpeg":
		return ".jpg"
	case "audio/ogg":
		return ".oga"
	case "video/mp4":
		return ".mp4"
	case "audio/mpeg":
		return ".mp3"
	}
	if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// randomHex returns 2n hex digits from crypto/rand: provider ids must stay
// unique whatever the dice seed.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomB64 returns n random bytes, base64url without padding.
func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// telegramFileID looks like Telegram's opaque, long file ids.
func telegramFileID() string { return "BQACAgIAAxkBAAI" + randomB64(42) }
