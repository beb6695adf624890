import 'server-only';
import packageJson from '../../package.json';

/** The console's version, as package.json states it. */
export const APP_VERSION: string = packageJson.version;
