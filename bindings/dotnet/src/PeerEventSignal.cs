// PeerEventSignal.cs - the HANDLE PeerGroupRegisterEvent signals: an event
// object on Windows, an eventfd (or a pipe) on Linux and other POSIX
// systems, waited on synchronously or asynchronously.
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace P2P
{
    /// <summary>What the library signals each time it queues an event for a
    /// registration. On Windows an auto-reset <see cref="EventWaitHandle"/>
    /// (the library calls SetEvent); on Linux an eventfd, elsewhere on POSIX a
    /// pipe, to which the library writes the 8-byte integer 1 (waited on with
    /// poll through libc). <see cref="Handle"/> is what PeerGroupRegisterEvent
    /// takes.</summary>
    public abstract class PeerEventSignal : IDisposable
    {
        /// <summary>The HANDLE to give PeerGroupRegisterEvent.</summary>
        public abstract IntPtr Handle { get; }

        /// <summary>Waits until signalled or the timeout passes (-1: no limit);
        /// true if signalled. The signal is consumed.</summary>
        public abstract bool Wait(int millisecondsTimeout);

        /// <summary>Completes when signalled (consuming the signal) or throws
        /// OperationCanceledException when <paramref name="cancel"/> is.</summary>
        public abstract Task WaitAsync(CancellationToken cancel);

        /// <summary>Signals, as the library does (wakes a waiter).</summary>
        public abstract void Set();

        /// <summary>Closes the handle.</summary>
        public abstract void Dispose();

        /// <summary>The signal of this platform.</summary>
        public static PeerEventSignal Create()
        {
            if (Environment.OSVersion.Platform == PlatformID.Win32NT) return new WindowsSignal();
            return new PosixSignal();
        }
    }

    sealed class WindowsSignal : PeerEventSignal
    {
        readonly EventWaitHandle ev = new EventWaitHandle(false, EventResetMode.AutoReset);

        public override IntPtr Handle { get { return ev.SafeWaitHandle.DangerousGetHandle(); } }

        public override bool Wait(int millisecondsTimeout) { return ev.WaitOne(millisecondsTimeout); }

        public override Task WaitAsync(CancellationToken cancel)
        {
            var done = new TaskCompletionSource<bool>();
            RegisteredWaitHandle wait = ThreadPool.RegisterWaitForSingleObject(
                ev, (state, timedOut) => done.TrySetResult(true), null, Timeout.Infinite, true);
            CancellationTokenRegistration reg = cancel.Register(() => done.TrySetCanceled());
            return done.Task.ContinueWith(t =>
            {
                wait.Unregister(null);
                reg.Dispose();
                t.GetAwaiter().GetResult(); // rethrows the cancellation
            }, TaskContinuationOptions.ExecuteSynchronously);
        }

        public override void Set() { ev.Set(); }

        public override void Dispose() { ev.Dispose(); }
    }

    sealed class PosixSignal : PeerEventSignal
    {
        const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000, POLLIN = 1, EINTR = 4, EAGAIN = 11;
        const int F_SETFL = 4, O_NONBLOCK_LINUX = 0x800, O_NONBLOCK_BSD = 0x4;

        [StructLayout(LayoutKind.Sequential)]
        struct PollFd { public int fd; public short events, revents; }

        [DllImport("libc", SetLastError = true)] static extern int eventfd(uint initval, int flags);
        [DllImport("libc", SetLastError = true)] static extern int pipe([Out] int[] fds);
        [DllImport("libc", SetLastError = true)] static extern int fcntl(int fd, int cmd, int arg);
        [DllImport("libc", SetLastError = true)] static extern int poll([In, Out] PollFd[] fds, UIntPtr nfds, int timeout);
        [DllImport("libc", SetLastError = true)] static extern IntPtr read(int fd, byte[] buf, UIntPtr count);
        [DllImport("libc", SetLastError = true)] static extern IntPtr write(int fd, byte[] buf, UIntPtr count);
        [DllImport("libc", SetLastError = true)] static extern int close(int fd);

        readonly int readFd, writeFd;
        int disposed;

        public PosixSignal()
        {
            try
            {
                readFd = writeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            }
            catch (EntryPointNotFoundException)
            {
                readFd = writeFd = -1; // not Linux: a pipe below
            }
            if (readFd < 0)
            {
                var fds = new int[2];
                if (pipe(fds) != 0) throw new Win32Exception(Marshal.GetLastWin32Error(), "pipe");
                readFd = fds[0];
                writeFd = fds[1];
                bool linux = Environment.OSVersion.Platform == PlatformID.Unix && System.IO.Directory.Exists("/proc/self");
                fcntl(readFd, F_SETFL, linux ? O_NONBLOCK_LINUX : O_NONBLOCK_BSD);
            }
        }

        public override IntPtr Handle { get { return new IntPtr(writeFd); } }

        // Consume pending signals (the descriptor is non-blocking).
        void Drain()
        {
            var buf = new byte[8];
            while ((long)read(readFd, buf, new UIntPtr(8)) > 0 && readFd != writeFd) { }
        }

        public override bool Wait(int millisecondsTimeout)
        {
            var fds = new[] { new PollFd { fd = readFd, events = POLLIN } };
            int n;
            do n = poll(fds, new UIntPtr(1), millisecondsTimeout);
            while (n < 0 && Marshal.GetLastWin32Error() == EINTR);
            if (n < 0) throw new Win32Exception(Marshal.GetLastWin32Error(), "poll");
            if (n == 0) return false;
            Drain();
            return true;
        }

        // A task blocked in poll on a thread of its own; cancelling writes to
        // the descriptor to wake it.
        public override Task WaitAsync(CancellationToken cancel)
        {
            cancel.ThrowIfCancellationRequested();
            return Task.Factory.StartNew(() =>
            {
                using (cancel.Register(Set))
                {
                    Wait(-1);
                }
                cancel.ThrowIfCancellationRequested();
            }, cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public override void Set()
        {
            if (Volatile.Read(ref disposed) != 0) return;
            var one = BitConverter.GetBytes(1UL);
            if ((long)write(writeFd, one, new UIntPtr(8)) < 0 && Marshal.GetLastWin32Error() != EAGAIN)
                throw new Win32Exception(Marshal.GetLastWin32Error(), "write");
        }

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            close(readFd);
            if (writeFd != readFd) close(writeFd);
        }
    }
}
