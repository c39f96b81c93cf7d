//! A model of the kernel's livepatch relocation code (`klp_write_object_relocs()`,
//! `klp_write_section_relocs()`, `klp_resolve_symbols()`, x86-64 `__write_relocate_add()`) with
//! klpelf's documented differences (docs/checks.md), written for the `relocs` fuzz target from
//! those descriptions, not from klpelf's code: the value of each relocation byte by byte from
//! the psABI's formulas, overflow as "the stored bytes do not extend back to the value".

use std::ffi::c_int;

use super::relocs_case::{Lookup, SymbolParts};

const EINVAL: c_int = -libc::EINVAL;
const ENOEXEC: c_int = -libc::ENOEXEC;

/// A section as the model sees it.
#[derive(Debug, Clone)]
pub struct MSection {
    /// `SHF_RELA_LIVEPATCH` is set.
    pub livepatch: bool,
    /// The object its name names (`.klp.rela.<object>...`), `None` when the name does not parse
    /// or is outside the name table.
    pub object: Option<&'static str>,
    pub sh_info: u32,
    pub size: u64,
    /// `(r_offset, r_info, r_addend)`.
    pub relas: Vec<(u64, u64, i64)>,
}

/// A kept symbol.
#[derive(Debug, Clone)]
pub struct MSymbol {
    /// The parsed `.klp.sym` name: `Err(true)` when its `st_name` is outside the string table,
    /// `Err(false)` when it does not parse.
    pub parsed: Result<SymbolParts, bool>,
    pub livepatch: bool,
    pub value: u64,
}

/// Everything the calls read and write.
#[derive(Debug, Clone)]
pub struct Model {
    pub x86_64: bool,
    pub sections: Vec<MSection>,
    pub symbols: Vec<MSymbol>,
    /// Per place: its address, and its bytes when it has memory (of its section's size).
    pub places: Vec<(u64, Option<Vec<u8>>)>,
    /// The resolver: `(object, name, position)` to an address; others fail.
    pub resolver: Vec<(Lookup, u64)>,
    pub resolve_failure: c_int,
}

/// What describe reports of one relocation: status, size, value.
pub type Described = (u32, u32, u64);

fn sign_extends(value: u64, bytes: u32) -> bool {
    let shift = 64 - 8 * bytes;
    ((value << shift) as i64 >> shift) as u64 == value
}

fn zero_extends(value: u64, bytes: u32) -> bool {
    value >> (8 * bytes) == 0
}

/// `(size, value)` by the psABI, or the kernel's verdict: `Err(3)` overflow, `Err(4)` unknown.
fn formula(r_type: u32, s: u64, a: i64, p: u64) -> Result<(u32, u64), u32> {
    let sa = s.wrapping_add(a as u64);
    match r_type {
        0 => Ok((0, sa)),
        1 => Ok((8, sa)),
        24 => Ok((8, sa.wrapping_sub(p))),
        2 | 4 => Ok((4, sa.wrapping_sub(p))),
        10 if zero_extends(sa, 4) => Ok((4, sa)),
        11 if sign_extends(sa, 4) => Ok((4, sa)),
        10 | 11 => Err(3),
        _ => Err(4),
    }
}

impl Model {
    fn matches(sec_obj: &str, obj: Option<&str>) -> bool {
        sec_obj == obj.unwrap_or("vmlinux")
    }

    /// `klp_resolve_symbols()` for section `i` of object `sec_obj`.
    fn resolve(&mut self, i: usize, sec_obj: &str) -> Result<(), c_int> {
        for &(_, info, _) in &self.sections[i].relas.clone() {
            let sym = self.symbols.get((info >> 32) as usize).ok_or(EINVAL)?;
            if matches!(sym.parsed, Err(true)) || !sym.livepatch {
                return Err(EINVAL);
            }
            let (obj, name, pos) = sym.parsed.map_err(|_| EINVAL)?;
            if sec_obj != "vmlinux" && obj == "vmlinux" {
                return Err(EINVAL);
            }
            let key = (if obj == "vmlinux" { None } else { Some(obj) }, name, pos);
            let found = self.resolver.iter().find(|(k, _)| *k == key).map(|&(_, v)| v);
            let addr = found.ok_or(self.resolve_failure)?;
            self.symbols[(info >> 32) as usize].value = addr;
        }
        Ok(())
    }

    /// The place of section `i`'s target, checked as klpelf documents it.
    fn target(&self, i: usize) -> Result<usize, c_int> {
        let target = self.sections[i].sh_info as usize;
        if target >= self.sections.len() {
            return Err(ENOEXEC);
        }
        match self.places.get(target) {
            Some((_, Some(_))) => Ok(target),
            _ => Err(EINVAL),
        }
    }

    /// `__write_relocate_add()` of section `i`.
    fn write(&mut self, i: usize, apply: bool) -> Result<(), c_int> {
        if self.sections[i].relas.is_empty() {
            return Ok(());
        }
        let t = self.target(i)?;
        let size = self.sections[t].size;
        for &(offset, info, addend) in &self.sections[i].relas.clone() {
            let s = self.symbols.get((info >> 32) as usize).ok_or(EINVAL)?.value;
            let p = self.places[t].0.wrapping_add(offset);
            let (n, value) = formula(info as u32, s, addend, p).map_err(|_| ENOEXEC)?;
            if n == 0 {
                continue;
            }
            if offset > size || u64::from(n) > size - offset {
                return Err(ENOEXEC);
            }
            let bytes = self.places[t].1.as_mut().expect("target() checked");
            let at = &mut bytes[offset as usize..][..n as usize];
            let want: Vec<u8> = (0..n).map(|k| (value >> (8 * k)) as u8).collect();
            let (expected, new) =
                if apply { (vec![0; n as usize], want) } else { (want, vec![0; n as usize]) };
            if at != expected.as_slice() {
                return Err(ENOEXEC);
            }
            at.copy_from_slice(&new);
        }
        Ok(())
    }

    /// `klp_write_section_relocs()`.
    fn section(&mut self, i: usize, obj: Option<&str>, apply: bool) -> Result<(), c_int> {
        let sec_obj = self.sections.get(i).ok_or(EINVAL)?.object.ok_or(EINVAL)?;
        if !Self::matches(sec_obj, obj) {
            return Ok(());
        }
        if apply {
            self.resolve(i, sec_obj)?;
        }
        self.write(i, apply)
    }

    pub fn apply_section(&mut self, i: usize, obj: Option<&str>) -> Result<(), c_int> {
        if !self.x86_64 {
            return Err(ENOEXEC);
        }
        self.section(i, obj, true)
    }

    /// `klp_write_object_relocs()`: apply stops at the first failure; clear goes on and reports
    /// the first.
    pub fn object(&mut self, obj: Option<&str>, apply: bool) -> Result<(), c_int> {
        if !self.x86_64 {
            return Err(ENOEXEC);
        }
        let mut first = Ok(());
        for i in 1..self.sections.len() {
            if !self.sections[i].livepatch {
                continue;
            }
            if self.sections[i].object.is_none() {
                return Err(EINVAL);
            }
            if let Err(e) = self.section(i, obj, apply) {
                if apply {
                    return Err(e);
                }
                first = first.and(Err(e));
            }
        }
        first
    }

    /// `klpelf_klp_describe_relocs()` of section `i`.
    pub fn describe(&self, i: usize) -> Result<Vec<Described>, c_int> {
        if !self.x86_64 {
            return Err(ENOEXEC);
        }
        self.sections.get(i).ok_or(EINVAL)?.object.ok_or(EINVAL)?;
        let section = &self.sections[i];
        if section.relas.is_empty() {
            return Ok(Vec::new());
        }
        let t = section.sh_info as usize;
        if t >= self.sections.len() {
            return Err(ENOEXEC);
        }
        let base = self.places.get(t).ok_or(EINVAL)?.0;
        let size = self.sections[t].size;
        Ok(section
            .relas
            .iter()
            .map(|&(offset, info, addend)| {
                let Some(sym) = self.symbols.get((info >> 32) as usize) else { return (6, 0, 0) };
                let p = base.wrapping_add(offset);
                match formula(info as u32, sym.value, addend, p) {
                    Err(status) => (status, 0, sym.value.wrapping_add(addend as u64)),
                    Ok((0, value)) => (1, 0, value),
                    Ok((n, value)) if offset > size || u64::from(n) > size - offset => {
                        (5, n, value)
                    }
                    Ok((4, value)) if matches!(info as u32, 2 | 4) && !sign_extends(value, 4) => {
                        (2, 4, value)
                    }
                    Ok((n, value)) => (0, n, value),
                }
            })
            .collect())
    }
}
