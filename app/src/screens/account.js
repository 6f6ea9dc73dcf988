// Signing in and up, and the two pages the emails link to: /verify-email?token=… and
// /reset-password?token=… (domain/src/identity/service.rs writes those links).
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  RegisterResident, RequestPasswordReset, ResetPassword as ResetPasswordDocument, SignIn as SignInDocument,
  VerifyEmail as VerifyEmailDocument, Communities,
} from '../operations/identity.js';
import { request } from '../api.js';
import { storeSession, currentSession } from '../session.js';
import { navigate, useLocation } from '../router.js';
import {
  Field, FormError, Notice, Page, Spinner, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';
import { elderMode, setElderMode } from '../elder.js';

/** Only paths inside the app: a `next` pointing elsewhere would be an open redirect. */
function safeNext(/** @type {string | null} */ next) {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/wallet';
}

export function SignIn() {
  const { query } = useLocation();
  const [form, set] = useForm({ login: '', password: '' });
  const { run, busy, errors } = useMutation();
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const payload = await run(SignInDocument, { input: form }, 'signIn');
    if (payload?.session) {
      storeSession(payload.session);
      navigate(safeNext(query.get('next')), { replace: true });
    }
  };
  return html`<${Page} title="登录邻里">
    <p class="lead">志愿服务赚积分，商居联盟换好礼。</p>
    <section class="elder-invite" aria-labelledby="elder-invite-title">
      <h2 id="elder-invite-title">字太小？</h2>
      <p>长辈版字更大、按钮更大，操作更简单。</p>
      <button type="button" class="button secondary" aria-pressed=${elderMode() ? 'true' : 'false'}
        onClick=${() => { setElderMode(!elderMode()); }}>
        ${elderMode() ? '切换回标准版' : '切换到长辈版'}
      </button>
    </section>
    <form onSubmit=${submit} novalidate>
      <${Field} label="邮箱或手机号" name="login" value=${form.login} onInput=${set('login')}
        autocomplete="username" error=${errors.login} required />
      <${Field} label="密码" name="password" type="password" value=${form.password} onInput=${set('password')}
        autocomplete="current-password" error=${errors.password} required />
      <${FormError} errors=${errors} fields=${['login', 'password']} />
      <${Submit} busy=${busy}>登录<//>
    </form>
    <p class="links">
      <a href="/register">注册新账号</a>
      <a href="/forgot-password">忘记密码</a>
      <a href="/activities">先看看活动</a>
    </p>
  <//>`;
}

export function Register() {
  const communities = useQuery(Communities);
  const [form, set] = useForm({ displayName: '', email: '', phone: '', password: '', communityId: '' });
  const { run, busy, errors } = useMutation();
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const input = {
      displayName: form.displayName, password: form.password,
      email: form.email || null, phone: form.phone || null, communityId: form.communityId || null,
    };
    const payload = await run(RegisterResident, { input }, 'registerResident');
    if (!payload) return;
    const signedIn = await run(SignInDocument, { input: { login: form.email || form.phone, password: form.password } }, 'signIn');
    if (signedIn?.session) {
      storeSession(signedIn.session);
      navigate('/wallet?welcome=1', { replace: true });
    }
  };
  const options = [['', '暂不选择'], ...(communities.data?.communities.edges || []).map((/** @type {any} */ e) => [e.node.id, `${e.node.name}（${e.node.street}）`])];
  return html`<${Page} title="注册" back="/signin" backLabel="返回登录">
    <form onSubmit=${submit} novalidate>
      <${Field} label="怎么称呼你" name="displayName" value=${form.displayName} onInput=${set('displayName')}
        autocomplete="nickname" error=${errors.displayName} required />
      <${Field} label="邮箱" name="email" type="email" value=${form.email} onInput=${set('email')}
        autocomplete="email" hint="邮箱和手机号至少填一个；用邮箱可以找回密码。" error=${errors.email} />
      <${Field} label="手机号" name="phone" type="tel" inputmode="numeric" value=${form.phone} onInput=${set('phone')}
        autocomplete="tel" error=${errors.phone} />
      <${Field} label="密码" name="password" type="password" value=${form.password} onInput=${set('password')}
        autocomplete="new-password" hint="至少 10 个字符，不要包含邮箱或手机号。" error=${errors.password} required />
      <${Field} label="所在社区" name="communityId" value=${form.communityId} onInput=${set('communityId')}
        options=${options} error=${errors.communityId} />
      <${FormError} errors=${errors} fields=${['displayName', 'email', 'phone', 'password', 'communityId']} />
      <${Submit} busy=${busy}>注册并登录<//>
    </form>
  <//>`;
}

export function ForgotPassword() {
  const [form, set] = useForm({ email: '' });
  const { run, busy, errors } = useMutation();
  const [sent, setSent] = useState(false);
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    if (await run(RequestPasswordReset, { input: form }, 'requestPasswordReset')) setSent(true);
  };
  return html`<${Page} title="找回密码" back="/signin" backLabel="返回登录">
    ${sent
      ? html`<${Notice}><p>如果这个邮箱注册过邻里，重置密码的邮件已经发出，请查收（30 分钟内有效）。</p><//>`
      : html`<form onSubmit=${submit} novalidate>
        <${Field} label="注册时用的邮箱" name="email" type="email" value=${form.email} onInput=${set('email')}
          autocomplete="email" error=${errors.email} required />
        <${FormError} errors=${errors} fields=${['email']} />
        <${Submit} busy=${busy}>发送重置邮件<//>
      </form>`}
  <//>`;
}

export function ResetPassword() {
  const { query } = useLocation();
  const token = query.get('token') || '';
  const [form, set] = useForm({ newPassword: '' });
  const { run, busy, errors } = useMutation();
  const [done, setDone] = useState(false);
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    if (await run(ResetPasswordDocument, { input: { token, newPassword: form.newPassword } }, 'resetPassword')) {
      // Every session of the account ended with the reset, this one too.
      storeSession(null);
      setDone(true);
    }
  };
  return html`<${Page} title="设置新密码">
    ${!token && html`<p class="error-box" role="alert">链接不完整，请从邮件里重新打开，或<a href="/forgot-password">重新申请</a>。</p>`}
    ${done
      ? html`<${Notice}><p>新密码已设置。所有设备上的登录都已退出，请用新密码登录。</p><//>
        <p><a class="button primary" href="/signin">去登录</a></p>`
      : token && html`<form onSubmit=${submit} novalidate>
        <${Field} label="新密码" name="newPassword" type="password" value=${form.newPassword} onInput=${set('newPassword')}
          autocomplete="new-password" hint="至少 10 个字符。" error=${errors.newPassword || errors.password || errors.token} required />
        <${FormError} errors=${errors} fields=${['newPassword', 'password', 'token']} />
        <${Submit} busy=${busy}>保存新密码<//>
      </form>`}
  <//>`;
}

export function VerifyEmail() {
  const { query } = useLocation();
  const token = query.get('token') || '';
  const [state, setState] = useState(/** @type {{ ok?: boolean, message?: string }} */ ({}));
  useEffect(() => {
    if (!token) { setState({ ok: false, message: '链接不完整，请从邮件里重新打开。' }); return; }
    request(VerifyEmailDocument, { input: { token } }).then(
      (data) => {
        const error = data.verifyEmail.errors[0];
        setState(error ? { ok: false, message: error.message } : { ok: true });
      },
      (error) => setState({ ok: false, message: error.message }),
    );
  }, [token]);
  return html`<${Page} title="确认邮箱">
    ${state.ok === undefined && html`<${Spinner} label="正在确认…" />`}
    ${state.ok === true && html`<${Notice}><p>邮箱已确认，谢谢！</p><//>`}
    ${state.ok === false && html`<div class="error-box" role="alert"><p><span aria-hidden="true">⚠ </span>${state.message}</p></div>`}
    ${state.ok !== undefined && html`<p><a class="button primary" href=${currentSession() ? '/wallet' : '/signin'}>
      ${currentSession() ? '去我的钱包' : '去登录'}</a></p>`}
  <//>`;
}
