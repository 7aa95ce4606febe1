#include "plexus/module_note.hpp"

#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fstream>
#include <vector>

#include <plexus/module.hpp>

namespace plexus {
namespace {

// Reads `size` bytes at `offset`; false when the file is shorter.
bool readAt(std::ifstream& in, std::uint64_t offset, void* into, std::size_t size) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(into), static_cast<std::streamsize>(size));
  return in.gcount() == static_cast<std::streamsize>(size);
}

}  // namespace

Result<std::optional<ModuleNote>> readModuleNote(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail("file not found");
  if (std::filesystem::is_directory(path, ec)) return fail("a folder, not a shared library");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot read: ") + std::strerror(errno));
  Elf64_Ehdr header{};
  if (!readAt(in, 0, &header, sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return fail("not a shared library (no ELF header)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail("not a 64-bit little-endian ELF file (built for another machine)");
  if (header.e_type != ET_DYN)
    return fail("an ELF file but not a shared library (ELF type " + std::to_string(header.e_type) +
                ")");
  if (header.e_shoff == 0 || header.e_shentsize != sizeof(Elf64_Shdr) ||
      header.e_shstrndx >= header.e_shnum)
    return std::optional<ModuleNote>();  // stripped of its section table: nothing to read
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!readAt(in, header.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr)))
    return fail("truncated ELF file (its section table is cut off)");
  const Elf64_Shdr& names = sections[header.e_shstrndx];
  std::vector<char> nameTable(names.sh_size + 1, '\0');
  if (!readAt(in, names.sh_offset, nameTable.data(), names.sh_size))
    return fail("truncated ELF file (its section names are cut off)");
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_name >= names.sh_size ||
        std::strcmp(nameTable.data() + section.sh_name, kModuleNoteSection) != 0)
      continue;
    if (section.sh_size < 12 + 8 + 4 || section.sh_size > 4096)
      return fail(std::string("malformed ") + kModuleNoteSection + " note (" +
                  std::to_string(section.sh_size) + " bytes)");
    std::vector<char> note(section.sh_size + 1, '\0');
    if (!readAt(in, section.sh_offset, note.data(), section.sh_size))
      return fail("truncated ELF file (its module note is cut off)");
    std::uint32_t nameSize = 0, descSize = 0, type = 0;
    std::memcpy(&nameSize, note.data(), 4);
    std::memcpy(&descSize, note.data() + 4, 4);
    std::memcpy(&type, note.data() + 8, 4);
    const std::size_t desc = 12 + (nameSize + 3) / 4 * 4;
    if (type != kModuleNoteType || nameSize != sizeof kModuleNoteName ||
        std::memcmp(note.data() + 12, kModuleNoteName, nameSize) != 0 || descSize < 5 ||
        desc + descSize > section.sh_size)
      return fail(std::string("malformed ") + kModuleNoteSection + " note");
    ModuleNote found;
    std::memcpy(&found.moduleApiVersion, note.data() + desc, 4);
    found.abiTag.assign(note.data() + desc + 4, strnlen(note.data() + desc + 4, descSize - 4));
    return std::optional<ModuleNote>(std::move(found));
  }
  return std::optional<ModuleNote>();
}

std::string libraryLoadError(const std::filesystem::path& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle != nullptr) {
    ::dlclose(handle);
    return "";
  }
  const char* reason = ::dlerror();
  return std::string("not a loadable shared library: ") +
         (reason ? reason : "unknown dlopen error");
}

}  // namespace plexus
