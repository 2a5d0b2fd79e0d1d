//! What a `no_std` component needs from its crate: the allocator, the panic
//! handler, and `cabi_realloc`. Its own file so that the bench's floor
//! component (`host-test/fixtures/abi-floor`) compiles this same file and
//! allocates exactly as the plugin does.

// `cabi_realloc` is an unmangled export over raw pointers.
#![allow(unsafe_code)]

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocator export, through which the host copies
/// strings and lists into the component. On wasm32-wasip2 it normally comes
/// from std; this build has none, so it is defined here over `alloc`.
/// Allocation failure traps: the host's memory cap is then what fired.
///
/// # Safety
/// Called only by the host's canonical ABI lowering, with `old_ptr` and
/// `old_len` from an earlier call and a power-of-two `align`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    if new_len == 0 {
        // A dangling, aligned pointer: nothing is read or written through it.
        return align as *mut u8;
    }
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}
