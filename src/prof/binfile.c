/*
 * binfile.c: a build's ELF files read back. See binfile.h.
 */
#include "prof/binfile.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"

static void hash_stripped(struct sha256_ctx *ctx, const char *p, size_t n, const char *strip)
{
	size_t sl = strip ? strlen(strip) : 0;

	while (sl && n >= sl) {
		const char *hit = memmem(p, n, strip, sl);
		if (!hit)
			break;
		sha256_update(ctx, p, (size_t)(hit - p));
		sha256_update(ctx, "\0<workspace>\0", 13);
		n -= (size_t)(hit - p) + sl;
		p = hit + sl;
	}
	sha256_update(ctx, p, n);
}

/* The loaded sections of one ELF object; 1 when it was one. */
static int hash_elf(Elf *e, const char *strip, struct sha256_ctx *ctx)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOTE || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name)
			sha256_update(ctx, name, strlen(name) + 1);
		d = elf_rawdata(scn, NULL);
		if (d && d->d_buf)
			hash_stripped(ctx, d->d_buf, d->d_size, strip);
	}
	return 1;
}

/* An ELF file or an archive, by its first bytes (libelf would read any file whole). */
static int elf_magic(int fd)
{
	char m[8];
	ssize_t n = pread(fd, m, sizeof(m), 0);

	return (n >= 4 && !memcmp(m, "\177ELF", 4)) || (n == 8 && !memcmp(m, "!<arch>\n", 8));
}

int binfile_code_hash(const char *path, const char *strip, struct sha256_ctx *ctx)
{
	int fd, r = 0;
	Elf *e;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!elf_magic(fd)) {
		close(fd);
		return 0;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_AR) {
		Elf *m;
		Elf_Cmd cmd = ELF_C_READ;
		while ((m = elf_begin(fd, cmd, e))) {
			Elf_Arhdr *h = elf_getarhdr(m);
			if (h && h->ar_name && h->ar_name[0] != '/')
				sha256_update(ctx, h->ar_name, strlen(h->ar_name) + 1);
			r |= hash_elf(m, strip, ctx);
			cmd = elf_next(m);
			elf_end(m);
		}
	} else if (e) {
		r = hash_elf(e, strip, ctx);
	}
	if (e)
		elf_end(e);
	close(fd);
	return r;
}

static void push_unique(struct strlist *out, const char *s)
{
	if (s && *s && !strlist_has(out, s))
		strlist_push(out, s);
}

/* -frecord-gcc-switches: one string per switch (GCC) or per command line (clang). */
static void command_line_section(Elf *e, struct strlist *out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		struct buf line = BUF_INIT;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".GCC.command.line"))
			continue;
		d = elf_rawdata(scn, NULL);
		for (size_t i = 0; d && d->d_buf && i < d->d_size;) {
			const char *s = (const char *)d->d_buf + i;
			size_t n = strnlen(s, d->d_size - i);
			if (n)
				buf_addf(&line, "%s%.*s", line.len ? " " : "", (int)n, s);
			i += n + 1;
		}
		push_unique(out, line.data);
		buf_release(&line);
	}
}

void binfile_compiler_lines(const char *path, struct strlist *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Dwarf *dw;

	if (fd < 0)
		return;
	if (!elf_magic(fd)) {
		close(fd);
		return;
	}
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return;
	}
	dw = dwarf_begin_elf(e, DWARF_C_READ, NULL);
	if (dw) {
		/* every unit's own DIE (DWARF 5 unit headers vary in size: never
		 * compute the DIE's offset by hand) */
		Dwarf_CU *cu = NULL;
		Dwarf_Die cudie;
		Dwarf_Attribute a;
		while (dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0)
			if (dwarf_attr(&cudie, DW_AT_producer, &a))
				push_unique(out, dwarf_formstring(&a));
		dwarf_end(dw);
	}
	command_line_section(e, out);
	elf_end(e);
	close(fd);
}
